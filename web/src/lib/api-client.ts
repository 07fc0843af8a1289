// The one API client: generated types from the app's OpenAPI spec, the bearer token added here,
// and a 401 answered by one cookie refresh and a retry.
import createClient from 'openapi-fetch';
import type { paths } from '../api/schema';
import { TOKEN_DELIVERY, getAccessToken, refreshSession } from './auth';
import { getReaderLanguage } from './reader-language';

const AUTH_PATHS = ['/api/v1/auth/login', '/api/v1/auth/refresh', '/api/v1/auth/logout', '/api/v1/auth/activate'];

function withHeaders(request: Request, bearer: boolean): Request {
  const headers = new Headers(request.headers);
  headers.set('Accept-Language', getReaderLanguage());
  const token = bearer ? getAccessToken() : null;
  if (token) headers.set('Authorization', `Bearer ${token}`);
  return new Request(request, { headers });
}

async function refreshByCookie(): Promise<boolean> {
  return refreshSession(async () => {
    const response = await fetch('/api/v1/auth/refresh', {
      method: 'POST',
      headers: TOKEN_DELIVERY,
      credentials: 'same-origin',
    });
    return response.ok ? response.json() : null;
  });
}

async function authFetch(request: Request): Promise<Response> {
  const isAuth = AUTH_PATHS.some((path) => new URL(request.url).pathname === path);
  if (isAuth) return fetch(withHeaders(request, false));
  const retry = request.clone();
  const response = await fetch(withHeaders(request, true));
  if (response.status !== 401) return response;
  return (await refreshByCookie()) ? fetch(withHeaders(retry, true)) : response;
}

export const api = createClient<paths>({ baseUrl: window.location.origin, fetch: authFetch });

export { refreshByCookie };
