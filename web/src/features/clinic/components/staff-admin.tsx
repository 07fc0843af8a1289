import { useState, type FormEvent } from 'react';
import { Field } from '../../../components/ui/field';
import { ErrorState, QueryState } from '../../../components/ui/states';
import { useI18n } from '../../../i18n';
import { describeError } from '../../../lib/problem';
import { useInviteStaff, useStaff, useUpdateStaff } from '../api/clinic';

type Role = 'therapist' | 'clinic_admin';
const EMPTY = { name: '', email: '', password: '', role: 'therapist' as Role, language: 'tr' as 'tr' | 'en' };

/** The clinic's therapists and admins: invite, change role, deactivate or reactivate. */
export function StaffAdmin({ userId }: { userId: string }) {
  const { t } = useI18n();
  const staff = useStaff();
  const update = useUpdateStaff();
  const invite = useInviteStaff();
  const [form, setForm] = useState(EMPTY);
  const fields = invite.error ? describeError(invite.error).fields : {};

  function submit(event: FormEvent) {
    event.preventDefault();
    invite.mutate({ ...form, name: form.name.trim(), email: form.email.trim() }, { onSuccess: () => setForm(EMPTY) });
  }

  return (
    <section className="card" aria-labelledby="staff-title">
      <h2 id="staff-title">{t('clinic.staff')}</h2>
      {update.error ? <ErrorState error={update.error} /> : null}
      {update.isSuccess && <p role="status" className="success">{t('settings.saved')}</p>}
      <QueryState query={staff}>
        {(members) => (
          <table className="table">
            <thead>
              <tr>
                <th scope="col">{t('createPatient.name')}</th>
                <th scope="col">{t('createPatient.email')}</th>
                <th scope="col">{t('clinic.role')}</th>
                <th scope="col">{t('clinic.active')}</th>
              </tr>
            </thead>
            <tbody>
              {members.map((member) => (
                <tr key={member.id}>
                  <th scope="row">{member.name}{member.id === userId ? ` (${t('clinic.you')})` : ''}</th>
                  <td>{member.email}</td>
                  <td>
                    <label>
                      <span className="visually-hidden">{t('clinic.roleOf', { name: member.name })}</span>
                      <select value={member.role} disabled={update.isPending} onChange={(e) => update.mutate({ id: member.id, changes: { role: e.target.value as Role } })}>
                        <option value="therapist">{t('role.therapist')}</option>
                        <option value="clinic_admin">{t('role.clinic_admin')}</option>
                      </select>
                    </label>
                  </td>
                  <td>
                    {member.is_active ? t('clinic.yes') : t('clinic.no')}{' '}
                    <button type="button" disabled={update.isPending} onClick={() => update.mutate({ id: member.id, changes: { is_active: !member.is_active } })}>
                      {member.is_active ? t('clinic.deactivate', { name: member.name }) : t('clinic.reactivate', { name: member.name })}
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </QueryState>
      <h3>{t('clinic.invite')}</h3>
      <form onSubmit={submit} className="form-grid">
        <Field label={t('createPatient.name')} errors={fields.name}>
          {(id, d) => <input id={id} aria-describedby={d} required value={form.name} onChange={(e) => setForm({ ...form, name: e.target.value })} />}
        </Field>
        <Field label={t('createPatient.email')} errors={fields.email}>
          {(id, d) => <input id={id} aria-describedby={d} type="email" required value={form.email} onChange={(e) => setForm({ ...form, email: e.target.value })} />}
        </Field>
        <Field label={t('clinic.initialPassword')} errors={fields.password}>
          {(id, d) => <input id={id} aria-describedby={d} type="password" autoComplete="new-password" required value={form.password} onChange={(e) => setForm({ ...form, password: e.target.value })} />}
        </Field>
        <Field label={t('clinic.role')}>
          {(id) => (
            <select id={id} value={form.role} onChange={(e) => setForm({ ...form, role: e.target.value as Role })}>
              <option value="therapist">{t('role.therapist')}</option>
              <option value="clinic_admin">{t('role.clinic_admin')}</option>
            </select>
          )}
        </Field>
        <Field label={t('createPatient.language')}>
          {(id) => (
            <select id={id} value={form.language} onChange={(e) => setForm({ ...form, language: e.target.value as 'tr' | 'en' })}>
              <option value="tr">Türkçe</option>
              <option value="en">English</option>
            </select>
          )}
        </Field>
        <div className="form-actions"><button type="submit" className="primary" disabled={invite.isPending}>{t('clinic.inviteSubmit')}</button></div>
      </form>
      {invite.error ? <ErrorState error={invite.error} /> : null}
      {invite.isSuccess && <p role="status" className="success">{t('clinic.invited')}</p>}
    </section>
  );
}
