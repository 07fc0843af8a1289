// Pure builders of the outcome charts from what the API returned: the score series with the
// baseline and the lines a minimal clinically important difference (MCID) away from it. The
// console draws the server's scores and interpretations and recomputes no clinical rule.
import type { components } from '../../../api/schema';

type S = components['schemas'];

export interface OutcomeLabels {
  score: string;
  baseline: string;
  improvedBeyond: string;
  worsenedBeyond: string;
  dayLabel: (day: string) => string;
}

export interface OutcomeLines {
  baseline: number | null;
  improved: number | null;
  worsened: number | null;
}

/** The baseline score and the MCID lines either side of it, in the measure's own direction. */
export function outcomeLines(series: S['MeasureSeriesOut']): OutcomeLines {
  const mcid = series.mcid.value;
  if (series.direction === 'change_score') return { baseline: 0, improved: mcid, worsened: -mcid };
  const first = series.responses[0];
  const baseline = first ? (first.baseline_score ?? first.score) : null;
  if (baseline == null) return { baseline: null, improved: null, worsened: null };
  const better = series.direction === 'lower_is_better' ? -1 : 1;
  return { baseline, improved: baseline + better * mcid, worsened: baseline - better * mcid };
}

/** Clip a line to the scale, so an MCID line past the scale's end is not drawn off the chart. */
function onScale(value: number | null, range: [number, number] | null): number | null {
  if (value == null) return null;
  if (range && (value < range[0] || value > range[1])) return null;
  return value;
}

export function outcomeChartOption(series: S['MeasureSeriesOut'], range: [number, number] | null, labels: OutcomeLabels) {
  const lines = outcomeLines(series);
  const line = (value: number | null, name: string, style: object) =>
    value == null ? [] : [{ yAxis: value, name, label: { formatter: name, position: 'insideEndTop' }, lineStyle: style }];
  const referenceLines = [
    ...line(lines.baseline, labels.baseline, { type: 'dashed', color: '#555' }),
    ...line(onScale(lines.improved, range), labels.improvedBeyond, { type: 'dotted', color: '#047857', width: 2 }),
    ...line(onScale(lines.worsened, range), labels.worsenedBeyond, { type: 'dotted', color: '#a33', width: 2 }),
  ];
  return {
    animation: false,
    aria: { enabled: false },
    tooltip: { trigger: 'axis' },
    grid: { left: 40, right: 24, top: 24, bottom: 28 },
    xAxis: { type: 'category', data: series.responses.map((response) => response.local_date), axisLabel: { formatter: labels.dayLabel } },
    yAxis: { type: 'value', ...(range ? { min: range[0], max: range[1] } : { scale: true }) },
    series: [
      {
        name: labels.score,
        type: 'line',
        data: series.responses.map((response) => response.score),
        symbol: 'circle',
        symbolSize: 8,
        lineStyle: { width: 2.5, color: '#1d4ed8' },
        itemStyle: { color: '#1d4ed8' },
        markLine: { symbol: 'none', silent: true, data: referenceLines },
      },
    ],
  };
}
