import { Link } from 'react-router';
import { Empty, QueryState } from '../../../components/ui/states';
import { useI18n } from '../../../i18n';
import { useErasureRequests } from '../api/clinic';

/** Patients' requests to be erased, waiting for an admin: erasing the patient closes one. */
export function ErasureRequests() {
  const { t, dateTime } = useI18n();
  const requests = useErasureRequests();
  return (
    <section className="card" aria-labelledby="erasure-requests-title">
      <h2 id="erasure-requests-title">{t('erasureRequests.title')}</h2>
      <QueryState query={requests}>
        {(items) =>
          items.length === 0 ? (
            <Empty id="erasureRequests.empty" />
          ) : (
            <ul className="items">
              {items.map((request) => (
                <li key={request.id}>
                  <Link to={`/patients/${request.patient_id}`}>{request.patient_name}</Link>{' '}
                  <span className="muted small">{t('erasureRequests.asked', { when: dateTime(request.requested_at) })}</span>
                  {request.reason && <p className="reason">“{request.reason}”</p>}
                </li>
              ))}
            </ul>
          )
        }
      </QueryState>
    </section>
  );
}
