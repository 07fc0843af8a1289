import { useState, type FormEvent } from 'react';
import { Link, useParams } from 'react-router';
import { SeverityBadge, StatusBadge } from '../../../components/ui/severity';
import { ErrorState, QueryState } from '../../../components/ui/states';
import { useI18n, type MessageId } from '../../../i18n';
import { useAcknowledge, useFlag, useResolve } from '../api/flags';

const ACTIONS = ['none', 'contacted', 'regressed', 'referred'] as const;

function show(value: unknown): string {
  if (value === null || value === undefined) return '–';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** One flag: which rule fired on which days with which thresholds and values, and what to do. */
export default function FlagPage() {
  const { flagId = '' } = useParams();
  const { t, date, dateTime } = useI18n();
  const flag = useFlag(flagId);
  return (
    <div className="page">
      <p className="breadcrumb"><Link to="/flags">← {t('nav.flags')}</Link></p>
      <QueryState query={flag}>
        {(f) => (
          <>
            <h1>
              {t(`flagType.${f.type}` as MessageId)} — <Link to={`/patients/${f.patient_id}`}>{f.patient_name}</Link>
            </h1>
            <p>
              <SeverityBadge severity={f.severity} /> <StatusBadge status={f.status} />{' '}
              <span className="muted">{t('flag.episode', { start: date(f.episode_start), end: f.episode_end ? date(f.episode_end) : t('flag.ongoing') })}</span>
            </p>
            <p className={f.expected ? 'note' : 'muted'}>{f.expected ? t('flag.expectedLong') : t('flag.notExpected')}</p>
            <section className="card" aria-labelledby="suggested-title">
              <h2 id="suggested-title">{t('flags.suggested')}</h2>
              <p>{f.suggested_action.text}</p>
            </section>
            <section className="card" aria-labelledby="evidence-title">
              <h2 id="evidence-title">{t('flag.evidence')}</h2>
              <table className="table compact">
                <thead>
                  <tr>
                    <th scope="col">{t('flag.day')}</th>
                    <th scope="col">{t('flag.rule')}</th>
                    <th scope="col">{t('flag.values')}</th>
                    <th scope="col">{t('flag.thresholds')}</th>
                    <th scope="col">{t('pain.baseline')}</th>
                  </tr>
                </thead>
                <tbody>
                  {f.evidence.map((e) => (
                    <tr key={e.key} className={e.withdrawn ? 'withdrawn' : undefined}>
                      <th scope="row">{date(e.day)}{e.withdrawn ? ` (${t('flag.withdrawn')})` : ''}</th>
                      <td><code>{e.rule}</code></td>
                      <td><dl className="kv">{Object.entries(e.values).map(([k, v]) => <div key={k}><dt>{k}</dt><dd>{show(v)}</dd></div>)}</dl></td>
                      <td><dl className="kv">{Object.entries(e.thresholds).map(([k, v]) => <div key={k}><dt>{k}</dt><dd>{show(v)}</dd></div>)}</dl></td>
                      <td>{e.baseline ? <dl className="kv">{Object.entries(e.baseline).map(([k, v]) => <div key={k}><dt>{k}</dt><dd>{show(v)}</dd></div>)}</dl> : '–'}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </section>
            {f.status === 'open' || f.status === 'acknowledged' ? (
              <FlagActions flagId={f.id} canAcknowledge={f.status === 'open'} />
            ) : (
              <section className="card" aria-labelledby="outcome-title">
                <h2 id="outcome-title">{t('flag.outcome')}</h2>
                <p>
                  {f.resolved_at ? dateTime(f.resolved_at) : ''}{' '}
                  {f.resolution_action ? t(`resolution.${f.resolution_action}` as MessageId) : f.auto_resolution_reason ?? ''}
                </p>
                {f.resolution_note && <p className="reason">“{f.resolution_note}”</p>}
              </section>
            )}
          </>
        )}
      </QueryState>
    </div>
  );
}

function FlagActions({ flagId, canAcknowledge }: { flagId: string; canAcknowledge: boolean }) {
  const { t } = useI18n();
  const acknowledge = useAcknowledge(flagId);
  const resolve = useResolve(flagId);
  const [action, setAction] = useState<(typeof ACTIONS)[number]>('contacted');
  const [note, setNote] = useState('');

  function submit(event: FormEvent) {
    event.preventDefault();
    resolve.mutate({ action, note: note.trim() });
  }

  return (
    <section className="card" aria-labelledby="actions-title">
      <h2 id="actions-title">{t('flag.actions')}</h2>
      {canAcknowledge && (
        <p>
          <button type="button" onClick={() => acknowledge.mutate()} disabled={acknowledge.isPending}>{t('flag.acknowledge')}</button>
        </p>
      )}
      {acknowledge.error ? <ErrorState error={acknowledge.error} /> : null}
      <form onSubmit={submit}>
        <div className="field">
          <label htmlFor="resolve-action">{t('flag.resolutionAction')}</label>
          <select id="resolve-action" value={action} onChange={(e) => setAction(e.target.value as (typeof ACTIONS)[number])}>
            {ACTIONS.map((a) => <option key={a} value={a}>{t(`resolution.${a}`)}</option>)}
          </select>
        </div>
        <div className="field">
          <label htmlFor="resolve-note">{t('flag.note')}</label>
          <textarea id="resolve-note" rows={3} value={note} onChange={(e) => setNote(e.target.value)} />
        </div>
        {resolve.error ? <ErrorState error={resolve.error} /> : null}
        <button type="submit" className="primary" disabled={resolve.isPending}>{t('flag.resolve')}</button>
      </form>
    </section>
  );
}
