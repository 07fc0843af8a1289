// The builder's draft, and the request body it becomes.
import type { components } from '../../../api/schema';

type S = components['schemas'];

export interface DraftItem {
  exercise: string;
  level: number;
  slots: string[] | null;
}

export interface Draft {
  template: string | null;
  items: DraftItem[];
  days: number[];
  slots: { slot: string; time: string }[];
  postureBreaks: boolean;
  interval: number;
  startDate: string;
  baselinePain: string;
}

/** A draft started from a template: its items, schedule and posture-break rule. */
export function draftFromTemplate(template: S['TemplateOut'], startDate: string): Draft {
  const schedule = (template.schedule ?? {}) as { days?: number[]; slots?: { slot: string; time: string }[] };
  const breaks = (template.posture_breaks ?? {}) as { enabled?: boolean; interval_minutes?: number };
  return {
    template: template.slug ?? null,
    items: (template.items ?? []).map((item) => ({
      exercise: String(item.exercise),
      level: Number(item.level ?? 1),
      slots: (item.slots as string[] | undefined) ?? null,
    })),
    days: schedule.days ?? [1, 2, 3, 4, 5, 6, 7],
    slots: schedule.slots ?? [{ slot: 'morning', time: '08:00' }],
    postureBreaks: breaks.enabled ?? false,
    interval: breaks.interval_minutes ?? 40,
    startDate,
    baselinePain: '',
  };
}

export function emptyDraft(startDate: string): Draft {
  return { template: null, items: [], days: [1, 2, 3, 4, 5, 6, 7], slots: [{ slot: 'morning', time: '08:00' }], postureBreaks: true, interval: 40, startDate, baselinePain: '' };
}

/** The POST body: explicit items and schedule always, so what the therapist saw is what is saved. */
export function programmeBody(draft: Draft): S['ProgrammeIn'] {
  const slotNames = new Set(draft.slots.map((s) => s.slot));
  return {
    template: draft.template,
    items: draft.items.map((item) => ({
      item_id: null,
      exercise: item.exercise,
      level: item.level,
      dosage_override: null,
      // An item's sessions must exist in the schedule; when none do, it runs in every session.
      slots: item.slots?.filter((slot) => slotNames.has(slot)).length ? item.slots.filter((slot) => slotNames.has(slot)) : null,
    })),
    schedule: { days: [...draft.days].sort(), slots: draft.slots },
    posture_breaks: { enabled: draft.postureBreaks, interval_minutes: draft.interval, routine: null },
    start_date: draft.startDate,
    flag_thresholds: null, // the clinic's thresholds (or the defaults) apply
    baseline_pain: draft.baselinePain === '' ? null : Number(draft.baselinePain),
    reason: null,
  };
}
