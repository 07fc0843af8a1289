import { useState, type FormEvent } from 'react';
import { Empty, ErrorState, QueryState } from '../../../components/ui/states';
import { useI18n } from '../../../i18n';
import { useMeasureLibrary, useMeasureSchedules, useRemoveMeasure, useScheduleMeasure } from '../api/measures';

/** The questionnaires attached to the programme in force: when each is due, attach and remove. */
export function MeasureSchedules({ programmeId }: { programmeId: string }) {
  const { t, language, date } = useI18n();
  const schedules = useMeasureSchedules(programmeId);
  const library = useMeasureLibrary();
  const remove = useRemoveMeasure(programmeId);
  const names = new Map((library.data ?? []).map((m) => [m.code, m.name[language] ?? m.code]));
  return (
    <section className="card" aria-labelledby="schedules-title">
      <h2 id="schedules-title">{t('schedules.title')}</h2>
      <QueryState query={schedules}>
        {(items) =>
          items.length === 0 ? (
            <Empty id="schedules.empty" />
          ) : (
            <ul className="items">
              {items.map((schedule) => {
                const next = schedule.administrations[schedule.administrations.length - 1];
                const when = [
                  schedule.at_start && t('schedules.atStart'),
                  schedule.every_weeks && t('schedules.everyWeeks', { weeks: schedule.every_weeks }),
                  schedule.at_end && t('schedules.atEnd'),
                ].filter(Boolean);
                return (
                  <li key={schedule.id}>
                    <strong>{names.get(schedule.measure) ?? schedule.measure}</strong>{' '}
                    <span className="small">{when.join(' · ')}{next ? ` · ${t('schedules.due', { day: date(next.due) })}` : ''}</span>{' '}
                    <button type="button" className="link-button" disabled={remove.isPending} onClick={() => remove.mutate(schedule.id)}
                      aria-label={t('schedules.removeNamed', { name: names.get(schedule.measure) ?? schedule.measure })}>
                      {t('schedules.remove')}
                    </button>
                  </li>
                );
              })}
            </ul>
          )
        }
      </QueryState>
      {remove.error ? <ErrorState error={remove.error} /> : null}
      <ScheduleForm programmeId={programmeId} measures={(library.data ?? []).map((m) => ({ code: m.code, name: names.get(m.code) ?? m.code }))} />
    </section>
  );
}

function ScheduleForm({ programmeId, measures }: { programmeId: string; measures: { code: string; name: string }[] }) {
  const { t } = useI18n();
  const schedule = useScheduleMeasure(programmeId);
  const [measure, setMeasure] = useState('');
  const [atStart, setAtStart] = useState(true);
  const [everyWeeks, setEveryWeeks] = useState('4');
  const [atEnd, setAtEnd] = useState(true);
  const [done, setDone] = useState(false);

  function submit(event: FormEvent) {
    event.preventDefault();
    setDone(false);
    schedule.mutate(
      { measure, at_start: atStart, every_weeks: everyWeeks ? Number(everyWeeks) : null, at_end: atEnd, window_days: 7 },
      { onSuccess: () => { setDone(true); setMeasure(''); } },
    );
  }

  return (
    <form onSubmit={submit} aria-labelledby="schedule-form-title">
      <h3 id="schedule-form-title">{t('schedules.add')}</h3>
      <div className="field">
        <label htmlFor="schedule-measure">{t('schedules.measure')}</label>
        <select id="schedule-measure" required value={measure} onChange={(e) => setMeasure(e.target.value)}>
          <option value="">{t('schedules.choose')}</option>
          {measures.map((m) => <option key={m.code} value={m.code}>{m.name}</option>)}
        </select>
      </div>
      <label className="block"><input type="checkbox" checked={atStart} onChange={(e) => setAtStart(e.target.checked)} /> {t('schedules.atStart')}</label>
      <div className="field">
        <label htmlFor="schedule-weeks">{t('schedules.everyWeeksLabel')}</label>
        <input id="schedule-weeks" type="number" min={1} max={52} value={everyWeeks} onChange={(e) => setEveryWeeks(e.target.value)} />
      </div>
      <label className="block"><input type="checkbox" checked={atEnd} onChange={(e) => setAtEnd(e.target.checked)} /> {t('schedules.atEnd')}</label>
      {schedule.error ? <ErrorState error={schedule.error} /> : null}
      {schedule.isPaused && <p className="note">{t('state.queued')}</p>}
      {done && <p role="status" className="success">{t('schedules.added')}</p>}
      <button type="submit" className="primary" disabled={schedule.isPending || !measure}>{t('schedules.submit')}</button>
    </form>
  );
}
