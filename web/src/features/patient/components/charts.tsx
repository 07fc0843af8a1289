import { useMemo } from 'react';
import { LazyChart } from '../../../components/ui/lazy-chart';
import { Empty, Loading, QueryState } from '../../../components/ui/states';
import { formatDay, useI18n } from '../../../i18n';
import { useAdherence, useCurrentProgramme, usePain, usePatientFlags, useRevisions } from '../api/patient';
import { adherenceChartOption, episodesOf, intensityChangesOf, painChartOption } from '../utils/chart-options';

export function PainChart({ patientId, timeZone }: { patientId: string; timeZone: string }) {
  const { t, language, number } = useI18n();
  const pain = usePain(patientId);
  const flags = usePatientFlags(patientId);
  const programme = useCurrentProgramme(patientId);
  const revisions = useRevisions(programme.data?.id);
  const episodes = useMemo(() => episodesOf(flags.data ?? [], (pain.data?.days ?? []).map((d) => d.date)), [flags.data, pain.data]);
  const option = useMemo(() => {
    if (!pain.data) return null;
    return painChartOption(pain.data, episodes, intensityChangesOf(revisions.data ?? [], timeZone), {
      max: t('pain.max'), mean: t('pain.mean'), morning: t('pain.morning'), baseline: t('pain.baseline'), baselinePlus2: t('pain.baselinePlus2'),
      flare_up: t('flagType.flare_up'), worsening: t('flagType.worsening'), progress: t('intensity.progressed'), regress: t('intensity.regressed'),
      dayLabel: (day) => formatDay(language, day),
    });
  }, [pain.data, episodes, revisions.data, timeZone, t, language]);
  return (
    <section className="card" aria-labelledby="pain-title">
      <h2 id="pain-title">{t('pain.title')}</h2>
      <QueryState query={pain}>
        {(data) =>
          data.days.every((d) => d.max_pain === null) ? (
            <Empty id="pain.empty" />
          ) : (
            <>
              <p className="muted small">
                {data.baseline.value == null
                  ? t('pain.noBaseline')
                  : t('pain.baselineIs', { value: number(data.baseline.value), source: t(`baselineSource.${data.baseline.source}`) })}
              </p>
              {/* Drawn once the episodes and intensity changes are known too, so it is drawn whole. */}
              {flags.isPending || programme.isPending || (programme.data && revisions.isPending) ? (
                <Loading />
              ) : (
                <LazyChart option={option!} height={280} testId="pain-chart" label={t('pain.chartLabel', { from: formatDay(language, data.from), to: formatDay(language, data.to) })} />
              )}
              {episodes.length > 0 && (
                <p className="small">
                  {t('pain.episodes')}{' '}
                  {episodes.map((e) => `${t(`flagType.${e.type}`)} ${formatDay(language, e.start)}–${formatDay(language, e.end)}`).join(' · ')}
                </p>
              )}
            </>
          )
        }
      </QueryState>
    </section>
  );
}

export function AdherenceChart({ patientId }: { patientId: string }) {
  const { t, language, percent } = useI18n();
  const adherence = useAdherence(patientId);
  const option = useMemo(
    () =>
      adherence.data &&
      adherenceChartOption(adherence.data, {
        completed: t('adherence.completed'), partial: t('adherence.partial'), skipped: t('adherence.skipped'), missing: t('adherence.missing'),
        prescribed: t('adherence.prescribed'), breaks: t('adherence.breaks'), breaksPrescribed: t('adherence.breaksPrescribed'),
        dayLabel: (day) => formatDay(language, day),
      }),
    [adherence.data, t, language],
  );
  return (
    <section className="card" aria-labelledby="adherence-title">
      <h2 id="adherence-title">{t('adherence.title')}</h2>
      <QueryState query={adherence}>
        {(data) =>
          data.totals.sessions_prescribed === 0 ? (
            <Empty id="adherence.empty" />
          ) : (
            <>
              <p className="muted small">
                {t('adherence.totals', {
                  ratio: data.totals.ratio == null ? '–' : percent(data.totals.ratio),
                  completed: data.totals.completed, partial: data.totals.partial, skipped: data.totals.skipped, due: data.totals.sessions_prescribed,
                  breaks: data.totals.posture_breaks_logged, breaksDue: data.totals.posture_breaks_prescribed,
                })}
              </p>
              <LazyChart option={option!} height={240} testId="adherence-chart" label={t('adherence.chartLabel')} />
            </>
          )
        }
      </QueryState>
    </section>
  );
}
