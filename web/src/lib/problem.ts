// API errors (RFC 9457 problem+json) turned into sentences for people.
import type { components } from '../api/schema';

export type Problem = components['schemas']['Problem'] & { current_revision?: number };

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: Problem,
    readonly retryAfter: number | null,
  ) {
    super(problem.detail ?? problem.title ?? `HTTP ${status}`);
  }
}

export type MessageKey =
  | 'error.wrongPassword'
  | 'error.tooMany'
  | 'error.sessionEnded'
  | 'error.forbidden'
  | 'error.notFound'
  | 'error.staleRevision'
  | 'error.conflict'
  | 'error.invalid'
  | 'error.unavailable'
  | 'error.offline'
  | 'error.unknown';

export interface Described {
  key: MessageKey;
  vars: Record<string, string | number>;
  fields: Record<string, string[]>;
}

/** Which sentence describes an error, given where it happened. */
export function describeError(error: unknown, context: 'login' | 'intensity' | 'other' = 'other'): Described {
  const none = { vars: {}, fields: {} };
  if (!(error instanceof ApiError)) return { key: 'error.offline', ...none };
  const { status, problem } = error;
  if (status === 401) return { key: context === 'login' ? 'error.wrongPassword' : 'error.sessionEnded', ...none };
  if (status === 429) return { key: 'error.tooMany', vars: { seconds: error.retryAfter ?? 60 }, fields: {} };
  if (status === 403) return { key: 'error.forbidden', ...none };
  if (status === 404) return { key: 'error.notFound', ...none };
  if (status === 409 && context === 'intensity' && problem.current_revision !== undefined)
    return { key: 'error.staleRevision', vars: { revision: problem.current_revision }, fields: {} };
  if (status === 409) return { key: 'error.conflict', vars: { detail: problem.detail ?? '' }, fields: {} };
  if (status === 422) return { key: 'error.invalid', vars: {}, fields: problem.errors ?? {} };
  if (status === 503) return { key: 'error.unavailable', ...none };
  return { key: 'error.unknown', vars: { status }, fields: {} };
}

/** Unwrap an openapi-fetch result: the data, or an ApiError carrying the problem. */
export async function unwrap<T>(
  promise: Promise<{ data?: T; error?: unknown; response: Response }>,
): Promise<T> {
  const { data, error, response } = await promise;
  if (response.ok) return data as T;
  const retry = Number(response.headers.get('Retry-After'));
  throw new ApiError(response.status, (error ?? {}) as Problem, Number.isFinite(retry) && retry > 0 ? retry : null);
}
