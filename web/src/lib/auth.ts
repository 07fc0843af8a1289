// The session: the access token lives only in this module's memory; the refresh token is an
// HttpOnly cookie the browser sends to /auth/refresh and /auth/logout, which no script can read.

export type Role = 'therapist' | 'clinic_admin' | 'patient';

export interface SessionUser {
  id: string;
  role: Role;
  clinic_id: string;
}

export type SessionState =
  | { status: 'unknown' }
  | { status: 'signed-out' }
  | { status: 'expired'; user: SessionUser }
  | { status: 'signed-in'; user: SessionUser };

export const TOKEN_DELIVERY = { 'X-Token-Delivery': 'cookie' } as const;

interface TokenBody {
  access_token: string;
  user: { id: string; role: string; clinic_id: string };
}

let accessToken: string | null = null;
let state: SessionState = { status: 'unknown' };
const listeners = new Set<() => void>();
let refreshing: Promise<boolean> | null = null;

export function getAccessToken(): string | null {
  return accessToken;
}

export function getSession(): SessionState {
  return state;
}

export function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function setState(next: SessionState): void {
  state = next;
  listeners.forEach((listener) => listener());
}

/** Keep the tokens a login, activation or refresh answered with. */
export function acceptTokens(body: TokenBody): void {
  accessToken = body.access_token;
  setState({ status: 'signed-in', user: { ...body.user, role: body.user.role as Role } });
}

/** One refresh at a time, however many requests found their token expired together. */
export function refreshSession(post: () => Promise<TokenBody | null>): Promise<boolean> {
  refreshing ??= post()
    .then((body) => {
      if (body) {
        acceptTokens(body);
        return true;
      }
      accessToken = null;
      // A session that lapsed keeps the screen (and any half-written form) under a sign-in dialog.
      setState(state.status === 'signed-in' || state.status === 'expired'
        ? { status: 'expired', user: state.user }
        : { status: 'signed-out' });
      return false;
    })
    .catch(() => false)
    .finally(() => {
      refreshing = null;
    });
  return refreshing;
}

export function endSession(): void {
  accessToken = null;
  setState({ status: 'signed-out' });
}
