import { useMemo } from 'react';
import type { components } from '../../../api/schema';
import { LazyChart } from '../../../components/ui/lazy-chart';
import { Empty, QueryState } from '../../../components/ui/states';
import { formatDay, useI18n } from '../../../i18n';
import { useMeasureLibrary, useOutcomeSeries } from '../api/measures';
import { outcomeChartOption } from '../utils/outcome-options';

type S = components['schemas'];

/** The patient's outcome measures, one small chart each, beside the pain chart. */
export function OutcomeCharts({ patientId }: { patientId: string }) {
  const { t } = useI18n();
  const series = useOutcomeSeries(patientId);
  const library = useMeasureLibrary();
  return (
    <section className="card" aria-labelledby="outcomes-title">
      <h2 id="outcomes-title">{t('outcomes.title')}</h2>
      <QueryState query={series}>
        {(items) => {
          const answered = items.filter((item) => item.responses.length > 0);
          if (answered.length === 0) return <Empty id="outcomes.empty" />;
          const scales = new Map((library.data ?? []).map((m) => [m.code, [m.scoring.min, m.scoring.max] as [number, number]]));
          return answered.map((item) => <OutcomeSeries key={item.measure} series={item} range={scales.get(item.measure) ?? null} />);
        }}
      </QueryState>
    </section>
  );
}

function OutcomeSeries({ series, range }: { series: S['MeasureSeriesOut']; range: [number, number] | null }) {
  const { t, language, number } = useI18n();
  const name = series.name[language] ?? series.measure;
  const latest = series.responses[series.responses.length - 1];
  const option = useMemo(
    () =>
      outcomeChartOption(series, range, {
        score: t('outcomes.score'), baseline: t('outcomes.baseline'), improvedBeyond: t('outcomes.improvedLine'), worsenedBeyond: t('outcomes.worsenedLine'),
        dayLabel: (day) => formatDay(language, day),
      }),
    [series, range, t, language],
  );
  return (
    <div className="outcome" data-testid={`outcome-${series.measure}`}>
      <h3>{name}</h3>
      <p className="small">
        {t('outcomes.latest', { score: number(latest.score), day: formatDay(language, latest.local_date) })}
        {latest.change != null && latest.interpretation && (
          <>
            {' · '}
            <strong>{t(`outcomes.interpretation.${latest.interpretation}`, { change: number(Math.abs(latest.change)) })}</strong>
          </>
        )}
      </p>
      <LazyChart option={option} height={180} testId={`outcome-chart-${series.measure}`} label={t('outcomes.chartLabel', { name })} />
      <p className="muted small">{t('outcomes.mcid', { value: number(series.mcid.value), citation: series.mcid.citation })}</p>
    </div>
  );
}
