import { describe, expect, it } from 'vitest';
import { sparklineRange } from './sparkline-range';

describe('the pain sparkline', () => {
  it("ends on the clinic's calendar day, not UTC's", () => {
    // 00:30 on 2 March in Istanbul is still 1 March in UTC.
    const now = new Date('2026-03-01T21:30:00Z');
    expect(sparklineRange('Europe/Istanbul', now)).toEqual({ from: '2026-02-17', to: '2026-03-02' });
    expect(sparklineRange('UTC', now)).toEqual({ from: '2026-02-16', to: '2026-03-01' });
  });

  it('spans fourteen days across a month end and a leap day', () => {
    expect(sparklineRange('Europe/Istanbul', new Date('2028-03-05T12:00:00Z'))).toEqual({ from: '2028-02-21', to: '2028-03-05' });
  });
});
