import { describe, expect, it } from 'vitest';
import type { components } from '../../../api/schema';
import { outcomeChartOption, outcomeLines } from './outcome-options';

type S = components['schemas'];

function response(score: number, day: string, baseline: number | null): S['MeasureResponseOut'] {
  return {
    id: day, recorded_at: `${day}T09:00:00Z`, received_at: `${day}T09:00:00Z`, local_date: day, measure: 'NDI', measure_version: '1',
    administration_id: null, answers: [], score, score_percent: null, band: null, prorated: false,
    baseline_id: baseline == null ? null : 'first', baseline_score: baseline, change: baseline == null ? null : baseline - score,
    interpretation: baseline == null ? null : 'improved', mcid: 7.5,
  };
}

function series(direction: S['MeasureDirection'], responses: S['MeasureResponseOut'][], mcid = 7.5): S['MeasureSeriesOut'] {
  return { measure: 'NDI', name: { en: 'NDI', tr: 'BEİ' }, direction, mcid: { value: mcid, citation: 'Young 2009' }, mdc: null, responses };
}

const labels = { score: 'Score', baseline: 'Baseline', improvedBeyond: 'Better by MCID', worsenedBeyond: 'Worse by MCID', dayLabel: (d: string) => d };

describe('outcome lines', () => {
  it('puts the improvement line below the baseline when lower is better', () => {
    expect(outcomeLines(series('lower_is_better', [response(24, '2026-11-01', null), response(14, '2026-11-29', 24)]))).toEqual({
      baseline: 24, improved: 16.5, worsened: 31.5,
    });
  });

  it('puts it above when higher is better', () => {
    expect(outcomeLines(series('higher_is_better', [response(4, '2026-11-01', null)], 2))).toEqual({ baseline: 4, improved: 6, worsened: 2 });
  });

  it('measures a change score from zero', () => {
    expect(outcomeLines(series('change_score', [response(3, '2026-11-01', null)], 3))).toEqual({ baseline: 0, improved: 3, worsened: -3 });
  });

  it('has no lines before a first response', () => {
    expect(outcomeLines(series('lower_is_better', []))).toEqual({ baseline: null, improved: null, worsened: null });
  });
});

describe('outcome chart option', () => {
  it('draws the scores with the baseline and both MCID lines on the scale', () => {
    const option = outcomeChartOption(series('lower_is_better', [response(24, '2026-11-01', null), response(14, '2026-11-29', 24)]), [0, 50], labels);
    expect(option.xAxis.data).toEqual(['2026-11-01', '2026-11-29']);
    expect(option.series[0].data).toEqual([24, 14]);
    expect(option.series[0].markLine.data.map((line) => [line.name, line.yAxis])).toEqual([
      ['Baseline', 24], ['Better by MCID', 16.5], ['Worse by MCID', 31.5],
    ]);
  });

  it('leaves out a line that falls off the scale', () => {
    const option = outcomeChartOption(series('lower_is_better', [response(5, '2026-11-01', null)]), [0, 50], labels);
    expect(option.series[0].markLine.data.map((line) => line.name)).toEqual(['Baseline', 'Worse by MCID']);
  });
});
