import type { components } from '../../../api/schema';
import { useState, type FormEvent } from 'react';
import { Link } from 'react-router';
import { Field } from '../../../components/ui/field';
import { ErrorState } from '../../../components/ui/states';
import { useI18n } from '../../../i18n';
import { describeError } from '../../../lib/problem';
import { useCreatePatient } from '../api/patients';
import { InvitationPanel } from './invitation-panel';

const EMPTY = { name: '', email: '', timezone: 'Europe/Istanbul', language: 'tr' as 'tr' | 'en', birth_year: '' };

/** A new patient, then at once their invitation code to give them. */
export function CreatePatient() {
  const { t } = useI18n();
  const create = useCreatePatient();
  const [form, setForm] = useState(EMPTY);
  const fields = create.error ? describeError(create.error).fields : {};
  const set = (key: keyof typeof EMPTY) => (e: { target: { value: string } }) => setForm({ ...form, [key]: e.target.value });

  function submit(event: FormEvent) {
    event.preventDefault();
    create.mutate(
      { name: form.name.trim(), email: form.email.trim(), timezone: form.timezone as components['schemas']['PatientIn']['timezone'], language: form.language, birth_year: form.birth_year ? Number(form.birth_year) : null },
      { onSuccess: () => setForm(EMPTY) },
    );
  }

  return (
    <section className="card" aria-labelledby="create-patient-title">
      <h2 id="create-patient-title">{t('createPatient.title')}</h2>
      <form onSubmit={submit} className="form-grid">
        <Field label={t('createPatient.name')} errors={fields.name}>
          {(id, d) => <input id={id} aria-describedby={d} required value={form.name} onChange={set('name')} />}
        </Field>
        <Field label={t('createPatient.email')} errors={fields.email}>
          {(id, d) => <input id={id} aria-describedby={d} type="email" required value={form.email} onChange={set('email')} />}
        </Field>
        <Field label={t('createPatient.timezone')} errors={fields.timezone}>
          {(id, d) => <input id={id} aria-describedby={d} required value={form.timezone} onChange={set('timezone')} />}
        </Field>
        <Field label={t('createPatient.language')} errors={fields.language}>
          {(id) => (
            <select id={id} value={form.language} onChange={set('language')}>
              <option value="tr">Türkçe</option>
              <option value="en">English</option>
            </select>
          )}
        </Field>
        <Field label={t('createPatient.birthYear')} errors={fields.birth_year}>
          {(id, d) => <input id={id} aria-describedby={d} inputMode="numeric" pattern="[0-9]{4}" value={form.birth_year} onChange={set('birth_year')} />}
        </Field>
        <div className="form-actions">
          <button type="submit" className="primary" disabled={create.isPending}>{t('createPatient.submit')}</button>
        </div>
      </form>
      {create.error ? <ErrorState error={create.error} /> : null}
      {create.data && (
        <div className="created" role="status">
          <p>
            {t('createPatient.created', { name: create.data.name })}{' '}
            <Link to={`/patients/${create.data.id}`}>{t('createPatient.open')}</Link>
          </p>
          <InvitationPanel patientId={create.data.id} />
        </div>
      )}
    </section>
  );
}
