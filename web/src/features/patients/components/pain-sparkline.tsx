import { useMemo } from 'react';
import { LazyChart } from '../../../components/ui/lazy-chart';
import { useI18n } from '../../../i18n';
import { usePainSparkline } from '../api/patients';

/** Fourteen days of daily maximum pain, 0–10, as a small line. */
export function PainSparkline({ patientId, name }: { patientId: string; name: string }) {
  const { t, timeZone } = useI18n();
  const query = usePainSparkline(patientId, timeZone);
  const values = query.data;
  const option = useMemo(
    () => ({
      animation: false,
      grid: { left: 1, right: 1, top: 2, bottom: 2 },
      xAxis: { type: 'category', show: false, data: values?.map((_, i) => i) ?? [] },
      yAxis: { type: 'value', show: false, min: 0, max: 10 },
      series: [{ type: 'line', data: values ?? [], symbol: 'none', connectNulls: false, lineStyle: { width: 1.5, color: '#7a2e0e' } }],
    }),
    [values],
  );
  if (query.isPending) return <span className="sparkline-placeholder" aria-hidden="true" />;
  if (query.error || !values?.some((v) => v !== null)) return <span className="muted">{t('patients.noPain')}</span>;
  const last = [...values].reverse().find((v) => v !== null);
  return <LazyChart option={option} height={28} label={t('patients.sparklineLabel', { name, last: last ?? '–' })} />;
}
