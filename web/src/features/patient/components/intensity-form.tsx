import { useState, type FormEvent } from 'react';
import type { components } from '../../../api/schema';
import { ErrorState } from '../../../components/ui/states';
import { useI18n } from '../../../i18n';
import { ApiError, describeError } from '../../../lib/problem';
import { useChangeIntensity } from '../api/patient';

/** Progress or regress on the revision shown; a stale revision (409) keeps the typed reason and
 * offers a reload. */
export function IntensityForm({ patientId, programme, itemNames, onReload }: {
  patientId: string;
  programme: components['schemas']['ProgrammeOut'];
  itemNames: { id: string; name: string }[];
  onReload: () => void;
}) {
  const { t } = useI18n();
  const change = useChangeIntensity(patientId, programme.id!);
  const [direction, setDirection] = useState<'progress' | 'regress'>('regress');
  const [reason, setReason] = useState('');
  const [chosen, setChosen] = useState<string[]>([]);
  const [done, setDone] = useState<number | null>(null);
  const stale = change.error instanceof ApiError && change.error.status === 409 && describeError(change.error, 'intensity').key === 'error.staleRevision';

  function submit(event: FormEvent) {
    event.preventDefault();
    setDone(null);
    change.mutate(
      { base_revision: programme.current_revision ?? 1, direction, item_ids: chosen.length ? chosen : null, reason: reason.trim() },
      { onSuccess: (p) => { setDone(p.current_revision ?? null); setReason(''); setChosen([]); } },
    );
  }

  return (
    <form className="intensity" onSubmit={submit} aria-labelledby="intensity-title">
      <h3 id="intensity-title">{t('intensity.title')}</h3>
      <fieldset>
        <legend>{t('intensity.direction')}</legend>
        <label><input type="radio" name="direction" value="progress" checked={direction === 'progress'} onChange={() => setDirection('progress')} /> ▲ {t('intensity.progress')}</label>
        <label><input type="radio" name="direction" value="regress" checked={direction === 'regress'} onChange={() => setDirection('regress')} /> ▼ {t('intensity.regress')}</label>
      </fieldset>
      <fieldset>
        <legend>{t('intensity.items')}</legend>
        {itemNames.map((item) => (
          <label key={item.id} className="block">
            <input type="checkbox" checked={chosen.includes(item.id)} onChange={(e) => setChosen(e.target.checked ? [...chosen, item.id] : chosen.filter((id) => id !== item.id))} /> {item.name}
          </label>
        ))}
      </fieldset>
      <div className="field">
        <label htmlFor="intensity-reason">{t('intensity.reason')}</label>
        <textarea id="intensity-reason" required rows={2} value={reason} onChange={(e) => setReason(e.target.value)} />
      </div>
      {stale ? (
        <div className="state state-error" role="alert">
          <p>{t('error.staleRevision')}</p>
          <button type="button" onClick={() => { change.reset(); onReload(); }}>{t('action.reload')}</button>
        </div>
      ) : change.error ? (
        <ErrorState error={change.error} context="intensity" />
      ) : null}
      {change.isPaused && <p className="note">{t('state.queued')}</p>}
      {done !== null && <p role="status" className="success">{t('intensity.done', { revision: done })}</p>}
      <button type="submit" className="primary" disabled={change.isPending || !reason.trim()}>{t(direction === 'progress' ? 'intensity.submitProgress' : 'intensity.submitRegress')}</button>
    </form>
  );
}
