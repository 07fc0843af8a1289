import { useState, type FormEvent } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { ErrorState, QueryState } from '../../../components/ui/states';
import { addDays, useI18n } from '../../../i18n';
import { describeError } from '../../../lib/problem';
import { useCreateProgramme, useLibrary, useTemplates } from '../api/programmes';
import { draftFromTemplate, emptyDraft, programmeBody, type Draft } from '../utils/draft';

const WEEKDAYS = [1, 2, 3, 4, 5, 6, 7];

/** A new programme from a template or from the exercise library. */
export default function ProgrammeBuilder() {
  const { patientId = '' } = useParams();
  const { t, language, today } = useI18n();
  const navigate = useNavigate();
  const templates = useTemplates();
  const library = useLibrary();
  const create = useCreateProgramme(patientId);
  const [draft, setDraft] = useState<Draft>(() => emptyDraft(addDays(today(), 1)));
  const fields = create.error ? describeError(create.error).fields : {};
  const weekday = (n: number) => new Intl.DateTimeFormat(language, { weekday: 'short', timeZone: 'UTC' }).format(new Date(Date.UTC(2024, 0, n)));
  const byslug = new Map((library.data ?? []).map((e) => [e.slug, e]));

  function chooseTemplate(slug: string) {
    const template = templates.data?.find((tp) => tp.slug === slug);
    setDraft(template ? draftFromTemplate(template, draft.startDate) : emptyDraft(draft.startDate));
  }

  function toggleExercise(slug: string, on: boolean) {
    setDraft({ ...draft, items: on ? [...draft.items, { exercise: slug, level: 1, slots: null }] : draft.items.filter((i) => i.exercise !== slug) });
  }

  function submit(event: FormEvent) {
    event.preventDefault();
    create.mutate(programmeBody(draft), { onSuccess: () => navigate(`/patients/${patientId}`) });
  }

  return (
    <div className="page">
      <p className="breadcrumb"><Link to={`/patients/${patientId}`}>← {t('builder.back')}</Link></p>
      <h1>{t('builder.title')}</h1>
      <form onSubmit={submit} className="builder">
        <QueryState query={templates}>
          {(items) => (
            <div className="field">
              <label htmlFor="builder-template">{t('builder.template')}</label>
              <select id="builder-template" value={draft.template ?? ''} onChange={(e) => chooseTemplate(e.target.value)}>
                <option value="">{t('builder.fromLibrary')}</option>
                {items.map((tp) => <option key={tp.slug} value={tp.slug}>{tp.name?.[language] ?? tp.slug}</option>)}
              </select>
            </div>
          )}
        </QueryState>
        <fieldset>
          <legend>{t('builder.exercises')}</legend>
          {fields.items && <p className="field-error">{fields.items.join(' ')}</p>}
          <QueryState query={library}>
            {(exercises) => (
              <ul className="exercise-pick">
                {exercises.map((exercise) => {
                  const item = draft.items.find((i) => i.exercise === exercise.slug);
                  const levels = exercise.ladder?.length ?? 1;
                  return (
                    <li key={exercise.id}>
                      <label>
                        <input type="checkbox" checked={Boolean(item)} onChange={(e) => toggleExercise(exercise.slug!, e.target.checked)} /> {exercise.name?.[language] ?? exercise.slug}
                      </label>
                      {item && (
                        <label className="level">
                          {t('builder.level')}{' '}
                          <select value={item.level} onChange={(e) => setDraft({ ...draft, items: draft.items.map((i) => (i === item ? { ...i, level: Number(e.target.value) } : i)) })}>
                            {Array.from({ length: levels }, (_, n) => n + 1).map((n) => <option key={n} value={n}>{n} / {levels}</option>)}
                          </select>
                        </label>
                      )}
                      {item && <p className="muted small">{byslug.get(exercise.slug)?.instructions?.[language]?.slice(0, 140)}…</p>}
                    </li>
                  );
                })}
              </ul>
            )}
          </QueryState>
        </fieldset>
        <fieldset>
          <legend>{t('builder.days')}</legend>
          {WEEKDAYS.map((n) => (
            <label key={n}>
              <input type="checkbox" checked={draft.days.includes(n)} onChange={(e) => setDraft({ ...draft, days: e.target.checked ? [...draft.days, n] : draft.days.filter((d) => d !== n) })} /> {weekday(n)}
            </label>
          ))}
        </fieldset>
        <fieldset>
          <legend>{t('builder.sessions')}</legend>
          {draft.slots.map((slot, index) => (
            <div key={index} className="slot-row">
              <label>{t('builder.slotName')} <input value={slot.slot} onChange={(e) => setDraft({ ...draft, slots: draft.slots.map((s, i) => (i === index ? { ...s, slot: e.target.value } : s)) })} /></label>{' '}
              <label>{t('builder.slotTime')} <input type="time" value={slot.time} onChange={(e) => setDraft({ ...draft, slots: draft.slots.map((s, i) => (i === index ? { ...s, time: e.target.value } : s)) })} /></label>{' '}
              <button type="button" onClick={() => setDraft({ ...draft, slots: draft.slots.filter((_, i) => i !== index) })} disabled={draft.slots.length === 1}>{t('builder.removeSession')}</button>
            </div>
          ))}
          {draft.slots.length < 6 && (
            <button type="button" onClick={() => setDraft({ ...draft, slots: [...draft.slots, { slot: `session${draft.slots.length + 1}`, time: '12:00' }] })}>{t('builder.addSession')}</button>
          )}
          {fields.schedule && <p className="field-error">{fields.schedule.join(' ')}</p>}
        </fieldset>
        <fieldset>
          <legend>{t('builder.postureBreaks')}</legend>
          <label><input type="checkbox" checked={draft.postureBreaks} onChange={(e) => setDraft({ ...draft, postureBreaks: e.target.checked })} /> {t('builder.postureBreaksOn')}</label>
          <div className="field">
            <label htmlFor="builder-interval">{t('builder.interval')}</label>
            <input id="builder-interval" type="number" min={30} max={45} value={draft.interval} onChange={(e) => setDraft({ ...draft, interval: Number(e.target.value) })} />
          </div>
        </fieldset>
        <div className="form-grid">
          <div className="field">
            <label htmlFor="builder-start">{t('builder.startDate')}</label>
            <input id="builder-start" type="date" required value={draft.startDate} onChange={(e) => setDraft({ ...draft, startDate: e.target.value })} />
            {fields.start_date && <p className="field-error">{fields.start_date.join(' ')}</p>}
          </div>
          <div className="field">
            <label htmlFor="builder-baseline">{t('builder.baseline')}</label>
            <input id="builder-baseline" type="number" min={0} max={10} step={0.5} value={draft.baselinePain} onChange={(e) => setDraft({ ...draft, baselinePain: e.target.value })} />
          </div>
        </div>
        {create.error ? <ErrorState error={create.error} /> : null}
        <button type="submit" className="primary" disabled={create.isPending || draft.items.length === 0 || draft.days.length === 0}>{t('builder.submit')}</button>
      </form>
    </div>
  );
}
