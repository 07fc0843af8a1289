import { useState } from 'react';
import { Link } from 'react-router';
import { SeverityBadge, StatusBadge } from '../../../components/ui/severity';
import { Empty, QueryState } from '../../../components/ui/states';
import { useI18n, type MessageId } from '../../../i18n';
import { useFlagQueue, type Severity, type Status } from '../api/flags';

const STATUSES: Status[] = ['open', 'acknowledged', 'resolved', 'auto_resolved'];
const SEVERITIES: Severity[] = ['urgent', 'high', 'normal', 'low', 'info'];

function toggle<T>(list: T[], value: T, on: boolean): T[] {
  return on ? [...list, value] : list.filter((v) => v !== value);
}

/** The review queue, most severe first (the API's order), filtered by status and severity. */
export function FlagQueue() {
  const { t, date } = useI18n();
  const [status, setStatus] = useState<Status[]>(['open', 'acknowledged']);
  const [severity, setSeverity] = useState<Severity[]>([]);
  const queue = useFlagQueue(status, severity);
  return (
    <div className="page">
      <h1>{t('flags.queueTitle')}</h1>
      <div className="toolbar filters">
        <fieldset>
          <legend>{t('flags.filterStatus')}</legend>
          {STATUSES.map((s) => (
            <label key={s}>
              <input type="checkbox" checked={status.includes(s)} onChange={(e) => setStatus(toggle(status, s, e.target.checked))} /> {t(`status.${s}`)}
            </label>
          ))}
        </fieldset>
        <fieldset>
          <legend>{t('flags.filterSeverity')}</legend>
          {SEVERITIES.map((s) => (
            <label key={s}>
              <input type="checkbox" checked={severity.includes(s)} onChange={(e) => setSeverity(toggle(severity, s, e.target.checked))} /> {t(`severity.${s}`)}
            </label>
          ))}
        </fieldset>
      </div>
      <QueryState query={queue}>
        {(rows) =>
          rows.length === 0 ? (
            <Empty id="flags.empty" />
          ) : (
            <table className="table">
              <caption className="visually-hidden">{t('flags.queueTitle')}</caption>
              <thead>
                <tr>
                  <th scope="col">{t('flags.severity')}</th>
                  <th scope="col">{t('flags.patient')}</th>
                  <th scope="col">{t('flags.type')}</th>
                  <th scope="col">{t('flags.status')}</th>
                  <th scope="col">{t('flags.since')}</th>
                  <th scope="col">{t('flags.suggested')}</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((flag) => (
                  <tr key={flag.id}>
                    <td><SeverityBadge severity={flag.severity} /></td>
                    <td><Link to={`/patients/${flag.patient_id}`}>{flag.patient_name}</Link></td>
                    <th scope="row">
                      <Link to={`/flags/${flag.id}`}>{t(`flagType.${flag.type}` as MessageId)}</Link>
                      {flag.expected && <span className="muted small"> · {t('flag.expected')}</span>}
                    </th>
                    <td><StatusBadge status={flag.status} /></td>
                    <td>{date(flag.episode_start)}</td>
                    <td className="small">{flag.suggested_action.text}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )
        }
      </QueryState>
    </div>
  );
}
