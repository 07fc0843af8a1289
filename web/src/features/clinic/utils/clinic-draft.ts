// The clinic settings form as text fields, and the PATCH that turns a changed draft into the API's
// terms: only what changed is sent, and an emptied threshold is null (back to the default).
import type { components } from '../../../api/schema';

type S = components['schemas'];
export type ClinicPatch = S['ClinicPatchIn'];
export type ThresholdName = keyof S['ThresholdsInForceOut'];
export type Language = S['ClinicOut']['default_language'];
export type Retention = S['ClinicOut']['erasure_retention'];

export interface ClinicDraft {
  name: string;
  timezone: string;
  emergency_number: string;
  digest_time: string;
  default_language: Language;
  /** What erasing a patient does to their clinical records. */
  erasure_retention: Retention;
  /** The clinic's own override of each threshold as typed; empty means "use the default". */
  thresholds: Record<ThresholdName, string>;
}

// The rules' order (flare, worsening, pain, adherence, progression, baseline) rather than the
// alphabet the API sends them in; a threshold a newer API adds comes last.
const ORDER: ThresholdName[] = [
  'flare_rise', 'session_pain_limit', 'settle_margin', 'settle_window_days', 'expected_window_days',
  'worsening_rise', 'worsening_relative', 'mean_min_days', 'headache_day_rise', 'morning_min_days', 'morning_rise_min',
  'high_pain', 'adherence_min', 'adherence_window_days', 'silence_days',
  'progression_days', 'progression_adherence', 'progression_max_exertion', 'progression_min_pain_days', 'not_improving_weeks', 'baseline_days',
];

/** Every threshold the clinic has in force, in the rules' order. */
export function thresholdNames(clinic: S['ClinicOut']): ThresholdName[] {
  const present = Object.keys(clinic.effective_flag_thresholds) as ThresholdName[];
  return [...ORDER.filter((name) => present.includes(name)), ...present.filter((name) => !ORDER.includes(name))];
}

export type Part = 'general' | 'thresholds';

/** The part of a PATCH that one of the screen's two forms saves. */
export function partOf(changes: ClinicPatch, part: Part): ClinicPatch {
  const { flag_thresholds: thresholds, ...general } = changes;
  if (part === 'general') return general;
  return thresholds ? { flag_thresholds: thresholds } : {};
}

/** After one part is saved: that part as the API now has it, the other part as still typed. */
export function mergeSaved(saved: S['ClinicOut'], draft: ClinicDraft, part: Part): ClinicDraft {
  const fresh = draftOf(saved);
  return part === 'general' ? { ...fresh, thresholds: draft.thresholds } : { ...draft, thresholds: fresh.thresholds };
}

export function draftOf(clinic: S['ClinicOut']): ClinicDraft {
  const overrides = clinic.flag_thresholds as Partial<Record<ThresholdName, number>>;
  const thresholds = Object.fromEntries(
    thresholdNames(clinic).map((name) => [name, overrides[name] === undefined ? '' : String(overrides[name])]),
  ) as Record<ThresholdName, string>;
  return {
    name: clinic.name,
    timezone: clinic.timezone,
    emergency_number: clinic.emergency_number,
    digest_time: clinic.digest_time,
    default_language: clinic.default_language,
    erasure_retention: clinic.erasure_retention,
    thresholds,
  };
}

/** What to PATCH: the changed fields only; a threshold typed is a number, one emptied is null. */
export function changesOf(clinic: S['ClinicOut'], draft: ClinicDraft): ClinicPatch {
  const before = draftOf(clinic);
  const changes: Record<string, unknown> = {};
  for (const key of ['name', 'timezone', 'emergency_number', 'digest_time', 'default_language', 'erasure_retention'] as const) {
    const value = typeof draft[key] === 'string' ? draft[key].trim() : draft[key];
    if (value !== before[key]) changes[key] = value;
  }
  const thresholds: Record<string, number | null> = {};
  for (const name of thresholdNames(clinic)) {
    const typed = draft.thresholds[name].trim().replace(',', '.');
    if (typed === before.thresholds[name]) continue;
    // Text that is not a number goes as it is, so the API's 422 names the field.
    thresholds[name] = typed === '' ? null : Number.isFinite(Number(typed)) ? Number(typed) : (typed as unknown as number);
  }
  if (Object.keys(thresholds).length) changes.flag_thresholds = thresholds;
  return changes as ClinicPatch;
}

/**
 * A 422's messages by field, with the thresholds' split out: the API reports an error inside
 * `flag_thresholds` as one of its messages prefixed with the threshold's name ("high_pain: …").
 */
export function splitThresholdErrors(fields: Record<string, string[]>): {
  fields: Record<string, string[]>;
  thresholds: Partial<Record<ThresholdName, string[]>>;
} {
  const { flag_thresholds: nested = [], ...rest } = fields;
  const thresholds: Partial<Record<ThresholdName, string[]>> = {};
  const general: string[] = [];
  for (const message of nested) {
    const match = /^(\w+): (.*)$/s.exec(message);
    if (match) (thresholds[match[1] as ThresholdName] ??= []).push(match[2]);
    else general.push(message);
  }
  return { fields: general.length ? { ...rest, flag_thresholds: general } : rest, thresholds };
}
