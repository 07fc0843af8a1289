import { lazy, Suspense, type ReactNode } from 'react';
import { createBrowserRouter, Navigate } from 'react-router';
import { Loading, Empty } from '../components/ui/states';
import { PatientsScreen } from '../features/patients/components/patients-screen';
import { FlagQueue } from '../features/flags/components/flag-queue';
import { prefetchPatientPage } from '../features/patient/api/patient';
import type { SessionUser } from '../lib/auth';
import { Layout } from './layout';
import { queryClient } from './providers';

// The patient page, flag page, builder and clinic screens load on first visit.
const PatientPage = lazy(() => import('../features/patient/components/patient-page'));
const FlagPage = lazy(() => import('../features/flags/components/flag-page'));
const ProgrammeBuilder = lazy(() => import('../features/programmes/components/programme-builder'));
const ClinicAdmin = lazy(() => import('../features/clinic/components/clinic-admin'));

function later(element: ReactNode) {
  return <Suspense fallback={<Loading />}>{element}</Suspense>;
}

export function createRouter(user: SessionUser) {
  const isAdmin = user.role === 'clinic_admin';
  return createBrowserRouter(
    [
      {
        element: <Layout user={user} />,
        children: [
          { index: true, element: <Navigate to="/patients" replace /> },
          { path: 'patients', element: <PatientsScreen /> },
          {
            path: 'patients/:patientId',
            element: later(<PatientPage isAdmin={isAdmin} />),
            // Data and chart library load beside the page's code rather than after it.
            loader: ({ params }) => {
              prefetchPatientPage(queryClient, params.patientId!);
              void import('../components/ui/chart');
              return null;
            },
          },
          { path: 'patients/:patientId/programmes/new', element: later(<ProgrammeBuilder />) },
          { path: 'flags', element: <FlagQueue /> },
          { path: 'flags/:flagId', element: later(<FlagPage />) },
          { path: 'clinic', element: isAdmin ? later(<ClinicAdmin userId={user.id} />) : <Empty id="error.forbidden" /> },
          { path: '*', element: <Empty id="error.notFound" /> },
        ],
      },
    ],
    { basename: '/console' },
  );
}
