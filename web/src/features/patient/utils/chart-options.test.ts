import { describe, expect, it } from 'vitest';
import type { components } from '../../../api/schema';
import { episodesOf, intensityChangesOf, localDay, painChartOption, type PainLabels } from './chart-options';

type S = components['schemas'];

const labels: PainLabels = {
  max: 'max', mean: 'mean', morning: 'morning', baseline: 'baseline', baselinePlus2: 'baseline + 2',
  flare_up: 'flare', worsening: 'worsening', progress: 'progressed', regress: 'regressed', dayLabel: (d) => d,
};

function flag(fields: Partial<S['FlagOut']>): S['FlagOut'] {
  return {
    id: 'f', patient_id: 'p', type: 'worsening', severity: 'high', status: 'open', opened_at: '2026-12-01T00:00:00Z',
    updated_at: '2026-12-01T00:00:00Z', episode_start: '2026-12-01', last_evidence_on: '2026-12-03', expected: false,
    rules: [], evidence_count: 1, suggested_action: { code: 'x', text: 'x' }, ...fields,
  } as S['FlagOut'];
}

function day(date: string, max: number | null): S['DayPainOut'] {
  return { date, max_pain: max, mean_pain: max, morning_pain: null, headache_count: 0, headache_minutes: 0, session_pain_max: null, exertion_max: null, sessions_logged: 0 };
}

const days = ['2026-12-01', '2026-12-02', '2026-12-03', '2026-12-04'];

describe('episodesOf', () => {
  it('keeps flare and worsening episodes, an open one running to its last evidence, clipped to the range', () => {
    const flags = [
      flag({ type: 'worsening', episode_start: '2026-11-20', episode_end: null, last_evidence_on: '2026-12-02' }),
      flag({ type: 'flare_up', episode_start: '2026-12-03', episode_end: '2026-12-09' }),
      flag({ type: 'non_adherence', episode_start: '2026-12-01', episode_end: '2026-12-02' }),
      flag({ type: 'flare_up', episode_start: '2026-10-01', episode_end: '2026-10-03' }),
    ];
    expect(episodesOf(flags, days)).toEqual([
      { type: 'worsening', start: '2026-12-01', end: '2026-12-02' },
      { type: 'flare_up', start: '2026-12-03', end: '2026-12-04' },
    ]);
    expect(episodesOf(flags, [])).toEqual([]);
  });
});

describe('intensityChangesOf', () => {
  it('marks progress and regress revisions on the patient-local day they took effect', () => {
    const revisions = [
      { number: 1, kind: 'initial', effective_at: '2026-11-01T06:00:00Z' },
      { number: 2, kind: 'progress', effective_at: '2026-12-01T22:30:00Z' },
      { number: 3, kind: 'regress', effective_at: '2026-12-03T09:00:00Z' },
    ] as S['RevisionOut'][];
    // 22:30 UTC is already the next day in Istanbul (UTC+3).
    expect(intensityChangesOf(revisions, 'Europe/Istanbul')).toEqual([
      { day: '2026-12-02', direction: 'progress' },
      { day: '2026-12-03', direction: 'regress' },
    ]);
    expect(localDay('2026-12-01T22:30:00Z', 'UTC')).toBe('2026-12-01');
  });
});

describe('painChartOption', () => {
  const pain: S['PainOut'] = {
    patient_id: 'p', from: days[0], to: days[3], days: days.map((d, i) => day(d, i === 1 ? null : 3 + i)),
    // The chart reads only the value; 'none' is a source name in every version of the API.
    baseline: { value: 3, source: 'none', days_used: 0 },
  };

  it('draws the baseline and the +2 line, the episodes and the changes inside the range', () => {
    const option = painChartOption(pain, [{ type: 'worsening', start: days[2], end: days[3] }], [
      { day: days[1], direction: 'regress' },
      { day: '2026-10-01', direction: 'progress' },
    ], labels);
    const max = option.series[0];
    expect(max.data).toEqual([3, null, 5, 6]);
    const lines = max.markLine!.data as Array<{ yAxis?: number; xAxis?: string }>;
    expect(lines.filter((l) => l.yAxis !== undefined).map((l) => l.yAxis)).toEqual([3, 5]);
    expect(lines.filter((l) => l.xAxis !== undefined).map((l) => l.xAxis)).toEqual([days[1]]);
    expect(max.markArea!.data).toHaveLength(1);
    expect(max.markArea!.data[0][0].xAxis).toBe(days[2]);
  });

  it('draws no reference line while there is no baseline', () => {
    const option = painChartOption({ ...pain, baseline: { value: null, source: 'none', days_used: 3 } }, [], [], labels);
    expect(option.series[0].markLine!.data).toEqual([]);
  });
});
