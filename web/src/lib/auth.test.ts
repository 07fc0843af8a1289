import { describe, expect, it } from 'vitest';
import { acceptTokens, endSession, getAccessToken, getSession, refreshSession } from './auth';

const body = { access_token: 'a1', user: { id: 'u', role: 'therapist', clinic_id: 'c' } };

describe('session', () => {
  it('runs one refresh for many expired requests', async () => {
    let calls = 0;
    const post = async () => {
      calls += 1;
      return { ...body, access_token: 'a2' };
    };
    const results = await Promise.all([refreshSession(post), refreshSession(post), refreshSession(post)]);
    expect(results).toEqual([true, true, true]);
    expect(calls).toBe(1);
    expect(getAccessToken()).toBe('a2');
  });

  it('keeps the user under a lapsed session so the screen can stay open', async () => {
    acceptTokens(body);
    expect(await refreshSession(async () => null)).toBe(false);
    expect(getSession()).toEqual({ status: 'expired', user: { id: 'u', role: 'therapist', clinic_id: 'c' } });
    expect(getAccessToken()).toBeNull();
    endSession();
    expect(getSession()).toEqual({ status: 'signed-out' });
  });
});
