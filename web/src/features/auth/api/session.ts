import { useSyncExternalStore } from 'react';
import { api, refreshByCookie } from '../../../lib/api-client';
import { TOKEN_DELIVERY, acceptTokens, endSession, getSession, subscribe } from '../../../lib/auth';
import { unwrap } from '../../../lib/problem';

export function useSession() {
  return useSyncExternalStore(subscribe, getSession);
}

/** Sign in; the refresh token comes back as an HttpOnly cookie, never into this page. */
export async function signIn(email: string, password: string): Promise<void> {
  const body = await unwrap(
    api.POST('/api/v1/auth/login', { body: { email, password }, headers: TOKEN_DELIVERY, credentials: 'same-origin' }),
  );
  acceptTokens(body);
}

let resuming: Promise<boolean> | null = null;

/** On page load, a still-valid cookie restores the session without asking for the password; the
 * first call starts it, later ones share its answer (a refresh cookie is good for one use). */
export function resumeSession(): Promise<boolean> {
  resuming ??= refreshByCookie().then((resumed) => {
    if (!resumed) endSession();
    return resumed;
  });
  return resuming;
}

export async function signOut(): Promise<void> {
  try {
    await api.POST('/api/v1/auth/logout', { headers: TOKEN_DELIVERY, credentials: 'same-origin' });
  } finally {
    endSession();
  }
}
