import { describe, expect, it } from 'vitest';
import en from './en.json';
import tr from './tr.json';
import { translate } from './index';

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
