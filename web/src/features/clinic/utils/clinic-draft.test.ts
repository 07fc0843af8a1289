import { describe, expect, it } from 'vitest';
import type { components } from '../../../api/schema';
import { changesOf, draftOf, mergeSaved, partOf, splitThresholdErrors, thresholdNames } from './clinic-draft';

type ClinicOut = components['schemas']['ClinicOut'];

const inForce = (value: number, source: 'clinic' | 'default') => ({ value, source });
const clinic = {
  id: '00000000-0000-0000-0000-000000000001',
  name: 'Demo Clinic',
  timezone: 'Europe/Istanbul',
  emergency_number: '112',
  digest_time: '08:00',
  default_language: 'tr',
  flag_thresholds: { high_pain: 9 },
  effective_flag_thresholds: { high_pain: inForce(9, 'clinic'), flare_rise: inForce(2, 'default') },
} as unknown as ClinicOut;

describe('clinic settings draft', () => {
  it('shows an override as typed text and a default as empty', () => {
    const draft = draftOf(clinic);
    expect(draft.thresholds).toEqual({ high_pain: '9', flare_rise: '' });
    expect(draft.emergency_number).toBe('112');
  });

  it('sends nothing when nothing changed', () => {
    expect(changesOf(clinic, draftOf(clinic))).toEqual({});
  });

  it('sends only what changed: trimmed text, a typed threshold as a number, an emptied one as null', () => {
    const draft = draftOf(clinic);
    draft.emergency_number = ' 911 ';
    draft.thresholds.flare_rise = '2,5';
    draft.thresholds.high_pain = '';
    expect(changesOf(clinic, draft)).toEqual({ emergency_number: '911', flag_thresholds: { flare_rise: 2.5, high_pain: null } });
  });

  it('passes text that is not a number on, for the API to refuse by name', () => {
    const draft = draftOf(clinic);
    draft.thresholds.flare_rise = 'abc';
    expect(changesOf(clinic, draft)).toEqual({ flag_thresholds: { flare_rise: 'abc' } });
  });
});

describe('clinic settings in two parts', () => {
  it('lists thresholds in the rules\' order, not the alphabet', () => {
    expect(thresholdNames(clinic)).toEqual(['flare_rise', 'high_pain']);
  });

  it('saves the general settings and the thresholds apart, keeping the other part as typed', () => {
    const draft = draftOf(clinic);
    draft.emergency_number = '911';
    draft.thresholds.flare_rise = '3';
    const changes = changesOf(clinic, draft);
    expect(partOf(changes, 'general')).toEqual({ emergency_number: '911' });
    expect(partOf(changes, 'thresholds')).toEqual({ flag_thresholds: { flare_rise: 3 } });
    const saved = { ...clinic, emergency_number: '911' } as ClinicOut;
    const after = mergeSaved(saved, draft, 'general');
    expect(after.emergency_number).toBe('911');
    expect(after.thresholds.flare_rise).toBe('3');
    expect(changesOf(saved, after)).toEqual({ flag_thresholds: { flare_rise: 3 } });
  });
});

describe('clinic settings errors', () => {
  it("puts each threshold's message beside its threshold and keeps the others by field", () => {
    const split = splitThresholdErrors({
      emergency_number: ['Use 2 to 15 digits, optionally after +.'],
      flag_thresholds: ['high_pain: Must be greater than or equal to 1 and less than or equal to 10.', 'Unknown field.'],
    });
    expect(split.thresholds).toEqual({ high_pain: ['Must be greater than or equal to 1 and less than or equal to 10.'] });
    expect(split.fields).toEqual({ emergency_number: ['Use 2 to 15 digits, optionally after +.'], flag_thresholds: ['Unknown field.'] });
  });
});
