import { useState } from 'react';
import { Empty, ErrorState, Loading } from '../../../components/ui/states';
import { useI18n } from '../../../i18n';
import { useAuditLog, useClinicPatients, useStaff } from '../api/clinic';

/** Who did what to which patient's record, newest first, filtered by patient or by staff member. */
export function AuditLog() {
  const { t, dateTime } = useI18n();
  const [patientId, setPatientId] = useState('');
  const [actorId, setActorId] = useState('');
  const patients = useClinicPatients();
  const staff = useStaff();
  const log = useAuditLog({ ...(patientId ? { patient_id: patientId } : {}), ...(actorId ? { actor_id: actorId } : {}) });
  const staffNames = new Map((staff.data ?? []).map((m) => [m.id, m.name]));
  const events = log.data?.pages.flatMap((page) => page.items) ?? [];
  return (
    <section className="card" aria-labelledby="audit-title">
      <h2 id="audit-title">{t('audit.title')}</h2>
      <div className="toolbar">
        <div className="field inline">
          <label htmlFor="audit-patient">{t('audit.patient')}</label>
          <select id="audit-patient" value={patientId} onChange={(e) => setPatientId(e.target.value)}>
            <option value="">{t('audit.all')}</option>
            {[...(patients.data ?? new Map()).entries()].map(([id, name]) => <option key={id} value={id}>{name}</option>)}
          </select>
        </div>
        <div className="field inline">
          <label htmlFor="audit-actor">{t('audit.actor')}</label>
          <select id="audit-actor" value={actorId} onChange={(e) => setActorId(e.target.value)}>
            <option value="">{t('audit.all')}</option>
            {(staff.data ?? []).map((m) => <option key={m.id} value={m.id}>{m.name}</option>)}
          </select>
        </div>
      </div>
      {log.isPending ? (
        <Loading />
      ) : log.error ? (
        <ErrorState error={log.error} retry={() => log.refetch()} />
      ) : events.length === 0 ? (
        <Empty id="audit.empty" />
      ) : (
        <>
          <table className="table compact">
            <thead>
              <tr>
                <th scope="col">{t('audit.when')}</th>
                <th scope="col">{t('audit.actor')}</th>
                <th scope="col">{t('audit.action')}</th>
                <th scope="col">{t('audit.patient')}</th>
              </tr>
            </thead>
            <tbody>
              {events.map((event) => (
                <tr key={event.id}>
                  <td>{dateTime(event.at)}</td>
                  <td>{(event.actor_id && (staffNames.get(event.actor_id) ?? patients.data?.get(event.actor_id))) || t(`role.${event.actor_role}` as 'role.therapist')}</td>
                  <th scope="row"><code>{event.action}</code></th>
                  <td>{event.patient_id ? patients.data?.get(event.patient_id) ?? '–' : '–'}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {log.hasNextPage && (
            <button type="button" onClick={() => log.fetchNextPage()} disabled={log.isFetchingNextPage}>{t('audit.more')}</button>
          )}
        </>
      )}
    </section>
  );
}
