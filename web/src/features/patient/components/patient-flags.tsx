import { Link } from 'react-router';
import { SeverityBadge, StatusBadge } from '../../../components/ui/severity';
import { Empty, QueryState } from '../../../components/ui/states';
import { useI18n, type MessageId } from '../../../i18n';
import { usePatientFlags } from '../api/patient';

export function PatientFlags({ patientId }: { patientId: string }) {
  const { t, date } = useI18n();
  const flags = usePatientFlags(patientId);
  return (
    <section className="card" aria-labelledby="patient-flags-title">
      <h2 id="patient-flags-title">{t('flags.title')}</h2>
      <QueryState query={flags}>
        {(items) =>
          items.length === 0 ? (
            <Empty id="flags.emptyPatient" />
          ) : (
            <ul className="flag-list">
              {items.map((flag) => (
                <li key={flag.id}>
                  <SeverityBadge severity={flag.severity} /> <StatusBadge status={flag.status} />{' '}
                  <Link to={`/flags/${flag.id}`}>{t(`flagType.${flag.type}` as MessageId)}</Link>
                  <span className="muted small"> · {date(flag.episode_start)}{flag.expected ? ` · ${t('flag.expected')}` : ''}</span>
                </li>
              ))}
            </ul>
          )
        }
      </QueryState>
    </section>
  );
}
