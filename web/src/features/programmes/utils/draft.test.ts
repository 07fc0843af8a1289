import { describe, expect, it } from 'vitest';
import type { components } from '../../../api/schema';
import { draftFromTemplate, emptyDraft, programmeBody } from './draft';

describe('programme drafts', () => {
  const template = {
    slug: 'neck',
    items: [{ exercise: 'chin-tuck', level: 2, slots: ['morning'] }, { exercise: 'stretch', level: 1 }],
    schedule: { days: [1, 3, 5], slots: [{ slot: 'morning', time: '08:00' }, { slot: 'evening', time: '19:00' }] },
    posture_breaks: { enabled: true, interval_minutes: 40 },
  } as unknown as components['schemas']['TemplateOut'];

  it('starts from a template with its items, schedule and posture breaks', () => {
    const draft = draftFromTemplate(template, '2026-12-07');
    expect(draft.items).toEqual([{ exercise: 'chin-tuck', level: 2, slots: ['morning'] }, { exercise: 'stretch', level: 1, slots: null }]);
    expect(draft.days).toEqual([1, 3, 5]);
    expect(draft.interval).toBe(40);
  });

  it('sends what the therapist chose, dropping sessions that no longer exist', () => {
    const draft = { ...draftFromTemplate(template, '2026-12-07'), slots: [{ slot: 'evening', time: '18:30' }], baselinePain: '3.5', days: [5, 1] };
    const body = programmeBody(draft);
    expect(body.items?.map((i) => i.slots)).toEqual([null, null]);
    expect(body.schedule).toEqual({ days: [1, 5], slots: [{ slot: 'evening', time: '18:30' }] });
    expect(body.baseline_pain).toBe(3.5);
    expect(body.template).toBe('neck');
    expect(programmeBody(emptyDraft('2026-12-07')).baseline_pain).toBeNull();
  });
});
