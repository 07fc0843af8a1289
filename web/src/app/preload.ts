// Part of the page's first script (main.ts), so it imports no router, screen or React DOM.
import { preloadChart } from '../components/ui/lazy-chart';
import { resumeSession } from '../features/auth/api/session';
import { clinicQuery } from '../features/clinic/api/clinic';
import { prefetchPatientPage } from '../features/patient/api/patient';
import { getSession, subscribe, type SessionState } from '../lib/auth';
import { PatientPage } from './lazy-pages';
import { queryClient } from './providers';
import { staffProfileQuery } from './staff-profile';

const PATIENT_PAGE = /^\/console\/patients\/([^/]+)\/?$/;

/** Start what the first screen needs before the console's code is even evaluated: the session's
 * cookie refresh and, on a patient's page, the download of its code and the chart library's. The
 * moment the access token is there: the page's data beside the clinic (time zone) and the staff
 * member's profile (language), and only then the page's code and the chart library are run, while
 * the server answers. Nothing waits for a render; the screens find their queries under way. The
 * answer is the refresh's: main.ts runs the rest of the console after it. */
export function preloadFirstScreen(pathname: string): Promise<boolean> {
  const patientId = PATIENT_PAGE.exec(pathname)?.[1];
  const prefetch = (session: SessionState): boolean => {
    if (session.status !== 'signed-in') return false;
    if (session.user.role === 'patient') return true;
    if (patientId) prefetchPatientPage(queryClient, decodeURIComponent(patientId));
    void queryClient.prefetchQuery(clinicQuery);
    void queryClient.prefetchQuery(staffProfileQuery(session.user.id));
    if (patientId) {
      void PatientPage.preload().catch(() => undefined); // its route shows a failure
      void preloadChart().catch(() => undefined);
    }
    return true;
  };
  const unsubscribe = subscribe(() => {
    if (prefetch(getSession())) unsubscribe();
  });
  if (patientId) ['hep-code-patient-page', 'hep-code-chart'].forEach(fetchCode);
  return resumeSession();
}

/** Download a lazy chunk's code without running it (index.html names its file, in a build):
 * running it would hold the main thread just as the token comes back. */
function fetchCode(name: string): void {
  const href = document.querySelector<HTMLMetaElement>(`meta[name="${name}"]`)?.content;
  if (!href) return;
  document.head.append(Object.assign(document.createElement('link'), { rel: 'modulepreload', href, crossOrigin: 'anonymous' }));
}
