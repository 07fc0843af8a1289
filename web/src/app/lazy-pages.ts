import { lazy } from 'react';
import { preloadable } from '../lib/preloadable';

// The patient page, flag page, builder and clinic screens load on first visit; the patient page's
// code can be fetched ahead (app/preload.ts, and its route's loader).
export const PatientPage = preloadable(() => import('../features/patient/components/patient-page'));
export const FlagPage = lazy(() => import('../features/flags/components/flag-page'));
export const ProgrammeBuilder = lazy(() => import('../features/programmes/components/programme-builder'));
export const ClinicAdmin = lazy(() => import('../features/clinic/components/clinic-admin'));
