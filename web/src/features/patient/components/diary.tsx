import { Empty, QueryState } from '../../../components/ui/states';
import { useI18n } from '../../../i18n';
import { usePain } from '../api/patient';

/** The patient's diary by day: pain, headaches and sessions, newest first. */
export function Diary({ patientId }: { patientId: string }) {
  const { t, date } = useI18n();
  const pain = usePain(patientId);
  return (
    <section className="card" aria-labelledby="diary-title">
      <h2 id="diary-title">{t('diary.title')}</h2>
      <QueryState query={pain}>
        {(data) => {
          const days = data.days.filter((d) => d.max_pain !== null || d.headache_count > 0 || d.sessions_logged > 0).reverse();
          const headacheDays = data.days.filter((d) => d.headache_count > 0);
          if (days.length === 0) return <Empty id="diary.empty" />;
          return (
            <>
              <p className="muted small">
                {t('diary.headacheSummary', { days: headacheDays.length, minutes: headacheDays.reduce((sum, d) => sum + d.headache_minutes, 0) })}
              </p>
              <div className="scroll" tabIndex={0} role="region" aria-label={t('diary.title')}>
                <table className="table compact">
                  <thead>
                    <tr>
                      <th scope="col">{t('diary.day')}</th>
                      <th scope="col">{t('pain.max')}</th>
                      <th scope="col">{t('pain.mean')}</th>
                      <th scope="col">{t('pain.morning')}</th>
                      <th scope="col">{t('diary.headaches')}</th>
                      <th scope="col">{t('diary.sessions')}</th>
                    </tr>
                  </thead>
                  <tbody>
                    {days.map((d) => (
                      <tr key={d.date}>
                        <th scope="row">{date(d.date)}</th>
                        <td>{d.max_pain ?? '–'}</td>
                        <td>{d.mean_pain ?? '–'}</td>
                        <td>{d.morning_pain ?? '–'}</td>
                        <td>{d.headache_count ? t('diary.headacheCell', { count: d.headache_count, minutes: d.headache_minutes }) : '–'}</td>
                        <td>{d.sessions_logged}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            </>
          );
        }}
      </QueryState>
    </section>
  );
}
