import { useEffect } from 'react';
import { RouterProvider } from 'react-router';
import { resumeSession, signOut, useSession } from '../features/auth/api/session';
import { SignInForm } from '../features/auth/components/sign-in-form';
import { useI18n } from '../i18n';
import { Loading } from '../components/ui/states';
import { createRouter } from './router';
import type { SessionUser } from '../lib/auth';
import { useMemo } from 'react';

/** Who may see the console: staff only; a lapsed session signs in again over the open screen. */
export function SessionGate() {
  const session = useSession();
  const { t } = useI18n();
  useEffect(() => {
    if (session.status === 'unknown') void resumeSession();
  }, [session.status]);

  if (session.status === 'unknown') return <main id="main"><Loading /></main>;
  if (session.status === 'signed-out') return <main id="main" className="centered"><SignInForm /></main>;
  if (session.user.role === 'patient') {
    return (
      <main id="main" className="centered">
        <div className="sign-in" role="alert">
          <h1>{t('staffOnly.title')}</h1>
          <p>{t('staffOnly.body')}</p>
          <button type="button" onClick={() => signOut()}>{t('nav.signOut')}</button>
        </div>
      </main>
    );
  }
  return (
    <>
      <StaffRouter user={session.user} />
      {session.status === 'expired' && (
        <div className="overlay">
          <div role="dialog" aria-modal="true" aria-labelledby="sign-in-title" className="dialog">
            <p>{t('signIn.expired')}</p>
            <SignInForm />
          </div>
        </div>
      )}
    </>
  );
}

function StaffRouter({ user }: { user: SessionUser }) {
  // One router per signed-in user: the open screen survives a token refresh or a re-sign-in.
  const router = useMemo(() => createRouter(user), [user.id, user.role]); // eslint-disable-line react-hooks/exhaustive-deps
  return <RouterProvider router={router} />;
}
