import { describe, expect, it } from 'vitest';
import { ApiError, describeError, unwrap, type Problem } from './problem';

const problem = (fields: Record<string, unknown>) => fields as Problem;

describe('describeError', () => {
  it('says a wrong password at sign-in, and that the session ended elsewhere', () => {
    const error = new ApiError(401, problem({ detail: 'The email or password is wrong.' }), null);
    expect(describeError(error, 'login').key).toBe('error.wrongPassword');
    expect(describeError(error).key).toBe('error.sessionEnded');
  });

  it('gives the wait of a 429 in seconds', () => {
    expect(describeError(new ApiError(429, problem({}), 37), 'login')).toEqual({ key: 'error.tooMany', vars: { seconds: 37 }, fields: {} });
  });

  it('reads a stale revision only from a 409 that names the current revision', () => {
    expect(describeError(new ApiError(409, problem({ current_revision: 4 }), null), 'intensity').key).toBe('error.staleRevision');
    expect(describeError(new ApiError(409, problem({ detail: 'ended' }), null), 'intensity').key).toBe('error.conflict');
  });

  it('passes field errors of a 422 through, and calls a network failure offline', () => {
    expect(describeError(new ApiError(422, problem({ errors: { email: ['Not a valid email.'] } }), null)).fields).toEqual({ email: ['Not a valid email.'] });
    expect(describeError(new TypeError('Failed to fetch')).key).toBe('error.offline');
  });
});

describe('unwrap', () => {
  it('returns the data of a success and throws the problem with Retry-After otherwise', async () => {
    await expect(unwrap(Promise.resolve({ data: 1, response: new Response(null, { status: 200 }) }))).resolves.toBe(1);
    const refused = unwrap(Promise.resolve({ error: { detail: 'slow down' }, response: new Response(null, { status: 429, headers: { 'Retry-After': '12' } }) }));
    await expect(refused).rejects.toMatchObject({ status: 429, retryAfter: 12, problem: { detail: 'slow down' } });
  });
});
