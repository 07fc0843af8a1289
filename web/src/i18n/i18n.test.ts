import { describe, expect, it } from 'vitest';
import en from './en.json';
import tr from './tr.json';
import { addDays, dayIn, formatters, translate } from './index';

describe('translations', () => {
  it('have the same keys in Turkish and English, none empty', () => {
    expect(Object.keys(tr).sort()).toEqual(Object.keys(en).sort());
    for (const [key, value] of [...Object.entries(en), ...Object.entries(tr)]) expect(value.trim(), key).not.toBe('');
  });

  it('use the same placeholders in both languages', () => {
    const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
    for (const key of Object.keys(en) as (keyof typeof en)[]) expect(placeholders(tr[key]), key).toEqual(placeholders(en[key]));
  });

  it('fills placeholders and leaves unknown ones visible', () => {
    expect(translate('en', 'error.tooMany', { seconds: 42 })).toBe('Too many attempts. Please wait 42 seconds and try again.');
    expect(translate('tr', 'error.tooMany', { seconds: 42 })).toContain('42 saniye');
    expect(translate('en', 'error.tooMany')).toContain('{seconds}');
  });
});

describe('dates and times in the clinic\'s time zone', () => {
  const instant = '2026-03-01T22:30:00Z'; // 01:30 on 2 March in Istanbul, 17:30 on 1 March in New York

  it('shows an instant in the given zone, not the browser\'s', () => {
    expect(formatters('en', 'Europe/Istanbul').dateTime(instant)).toMatch(/Mar 2, 2026.*1:30/);
    expect(formatters('en', 'America/New_York').dateTime(instant)).toMatch(/Mar 1, 2026.*5:30/);
    expect(formatters('tr', 'Europe/Istanbul').date(instant)).toMatch(/2 Mar 2026/);
  });

  it('shows a calendar day as that day in every zone', () => {
    expect(formatters('en', 'Pacific/Kiritimati').date('2026-03-01')).toBe(formatters('en', 'Pacific/Pago_Pago').date('2026-03-01'));
  });

  it("knows which day it is in the clinic's zone", () => {
    expect(dayIn('Europe/Istanbul', new Date(instant))).toBe('2026-03-02');
    expect(dayIn('America/New_York', new Date(instant))).toBe('2026-03-01');
    expect(addDays('2026-02-28', 1)).toBe('2026-03-01');
    expect(addDays('2024-12-31', 1)).toBe('2025-01-01');
  });
});
