import { Suspense, type ReactNode } from 'react';
import { createBrowserRouter, Navigate } from 'react-router';
import { preloadChart } from '../components/ui/lazy-chart';
import { Loading, Empty } from '../components/ui/states';
import { PatientsScreen } from '../features/patients/components/patients-screen';
import { FlagQueue } from '../features/flags/components/flag-queue';
import { prefetchPatientPage } from '../features/patient/api/patient';
import type { SessionUser } from '../lib/auth';
import { Layout } from './layout';
import { ClinicAdmin, FlagPage, PatientPage, ProgrammeBuilder } from './lazy-pages';
import { queryClient } from './providers';

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
              void PatientPage.preload();
              void preloadChart();
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
