// Pure builders of the patient page's chart options from what the API returned; the console
// shows the server's series, baseline and episodes and recomputes no clinical rule.
import type { components } from '../../../api/schema';
import { dayIn } from '../../../i18n';

type S = components['schemas'];

export interface Episode {
  start: string;
  end: string;
  type: 'flare_up' | 'worsening';
}

export interface IntensityChange {
  day: string;
  direction: 'progress' | 'regress';
}

export interface PainLabels {
  max: string;
  mean: string;
  morning: string;
  baseline: string;
  baselinePlus2: string;
  flare_up: string;
  worsening: string;
  progress: string;
  regress: string;
  dayLabel: (day: string) => string;
}

/** The patient-local calendar day of an instant (YYYY-MM-DD). */
export function localDay(instant: string, timeZone: string): string {
  return dayIn(timeZone, new Date(instant));
}

/** Flare and worsening episodes among the flags, clipped to the days shown. */
export function episodesOf(flags: S['FlagOut'][], days: string[]): Episode[] {
  if (days.length === 0) return [];
  const first = days[0];
  const last = days[days.length - 1];
  return flags
    .filter((flag): flag is S['FlagOut'] & { type: Episode['type'] } => flag.type === 'flare_up' || flag.type === 'worsening')
    .map((flag) => ({ type: flag.type, start: flag.episode_start, end: flag.episode_end ?? flag.last_evidence_on }))
    .filter((episode) => episode.end >= first && episode.start <= last)
    .map((episode) => ({ ...episode, start: episode.start < first ? first : episode.start, end: episode.end > last ? last : episode.end }));
}

/** Revisions that moved intensity, as the patient-local day they took effect. */
export function intensityChangesOf(revisions: S['RevisionOut'][], timeZone: string): IntensityChange[] {
  return revisions
    .filter((revision) => (revision.kind === 'progress' || revision.kind === 'regress') && revision.effective_at)
    .map((revision) => ({ day: localDay(revision.effective_at!, timeZone), direction: revision.kind as IntensityChange['direction'] }));
}

const EPISODE_COLOURS = { flare_up: 'rgba(230, 159, 0, 0.18)', worsening: 'rgba(213, 94, 0, 0.18)' };

export function painChartOption(pain: S['PainOut'], episodes: Episode[], changes: IntensityChange[], labels: PainLabels) {
  const days = pain.days.map((day) => day.date);
  const baseline = pain.baseline.value;
  const referenceLines =
    baseline == null
      ? []
      : [
          { yAxis: baseline, name: labels.baseline, label: { formatter: labels.baseline, position: 'insideEndTop' }, lineStyle: { type: 'dashed', color: '#555' } },
          { yAxis: baseline + 2, name: labels.baselinePlus2, label: { formatter: labels.baselinePlus2, position: 'insideEndTop' }, lineStyle: { type: 'dotted', color: '#a33', width: 2 } },
        ];
  const changeLines = changes
    .filter((change) => days.includes(change.day))
    .map((change) => ({
      xAxis: change.day,
      label: { formatter: `${change.direction === 'progress' ? '▲' : '▼'} ${labels[change.direction]}`, position: 'insideStartTop' },
      lineStyle: { type: 'solid', color: change.direction === 'progress' ? '#2b6cb0' : '#6b46c1', width: 2 },
    }));
  return {
    animation: false,
    aria: { enabled: false },
    tooltip: { trigger: 'axis' },
    legend: { top: 0, data: [labels.max, labels.mean, labels.morning] },
    grid: { left: 36, right: 24, top: 44, bottom: 28 },
    xAxis: { type: 'category', data: days, axisLabel: { formatter: labels.dayLabel } },
    yAxis: { type: 'value', min: 0, max: 10, interval: 2 },
    series: [
      {
        name: labels.max,
        type: 'line',
        data: pain.days.map((day) => day.max_pain),
        symbol: 'circle',
        symbolSize: 6,
        lineStyle: { width: 2.5, color: '#b91c1c' },
        itemStyle: { color: '#b91c1c' },
        markLine: { symbol: 'none', silent: true, data: [...referenceLines, ...changeLines] },
        markArea: {
          silent: true,
          data: episodes.map((episode) => [
            // Named in the list under the chart: labels of neighbouring episodes would overlap.
            { xAxis: episode.start, name: labels[episode.type], itemStyle: { color: EPISODE_COLOURS[episode.type] }, label: { show: false } },
            { xAxis: episode.end },
          ]),
        },
      },
      { name: labels.mean, type: 'line', data: pain.days.map((day) => day.mean_pain), symbol: 'triangle', symbolSize: 6, lineStyle: { type: 'dashed', color: '#1d4ed8' }, itemStyle: { color: '#1d4ed8' } },
      { name: labels.morning, type: 'line', data: pain.days.map((day) => day.morning_pain), symbol: 'rect', symbolSize: 6, lineStyle: { type: 'dotted', color: '#047857' }, itemStyle: { color: '#047857' } },
    ],
  };
}

export interface AdherenceLabels {
  completed: string;
  partial: string;
  skipped: string;
  missing: string;
  prescribed: string;
  breaks: string;
  breaksPrescribed: string;
  dayLabel: (day: string) => string;
}

export function adherenceChartOption(adherence: S['AdherenceOut'], labels: AdherenceLabels) {
  const days = adherence.days;
  const stack = (name: string, key: 'completed' | 'partial' | 'skipped' | 'missing', color: string, decal?: object) => ({
    name,
    type: 'bar',
    stack: 'sessions',
    data: days.map((day) => day[key]),
    itemStyle: { color, decal },
  });
  return {
    animation: false,
    tooltip: { trigger: 'axis' },
    legend: { top: 0, type: 'scroll' },
    grid: { left: 36, right: 36, top: 44, bottom: 28 },
    xAxis: { type: 'category', data: days.map((day) => day.date), axisLabel: { formatter: labels.dayLabel } },
    yAxis: [
      { type: 'value', minInterval: 1, name: '' },
      { type: 'value', minInterval: 1, position: 'right', splitLine: { show: false } },
    ],
    series: [
      stack(labels.completed, 'completed', '#047857'),
      stack(labels.partial, 'partial', '#b7791f', { symbol: 'rect', dashArrayX: [1, 0], dashArrayY: [2, 3], rotation: Math.PI / 4, color: 'rgba(0,0,0,0.25)' }),
      stack(labels.skipped, 'skipped', '#9b2c2c', { symbol: 'rect', dashArrayX: [[1, 1]], dashArrayY: [4, 2], color: 'rgba(255,255,255,0.45)' }),
      stack(labels.missing, 'missing', '#a0aec0'),
      { name: labels.prescribed, type: 'line', step: 'middle', data: days.map((day) => day.sessions_prescribed), symbol: 'none', lineStyle: { color: '#111', type: 'dashed' } },
      { name: labels.breaks, type: 'line', yAxisIndex: 1, data: days.map((day) => day.posture_breaks_logged), symbol: 'diamond', lineStyle: { color: '#6b46c1' }, itemStyle: { color: '#6b46c1' } },
      { name: labels.breaksPrescribed, type: 'line', yAxisIndex: 1, data: days.map((day) => day.posture_breaks_prescribed), symbol: 'none', lineStyle: { color: '#6b46c1', type: 'dotted' } },
    ],
  };
}
