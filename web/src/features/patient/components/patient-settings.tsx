import { useState, type FormEvent } from 'react';
import type { components } from '../../../api/schema';
import { Field } from '../../../components/ui/field';
import { ErrorState } from '../../../components/ui/states';
import { useI18n } from '../../../i18n';
import { describeError } from '../../../lib/problem';
import { useTherapists, useUpdatePatient } from '../api/patient';

/** The patient's profile settings; reassigning the therapist is for clinic admins. */
export function PatientSettings({ patient, isAdmin }: { patient: components['schemas']['PatientDetailOut']; isAdmin: boolean }) {
  const { t } = useI18n();
  const update = useUpdatePatient(patient.id);
  const therapists = useTherapists(isAdmin);
  const [form, setForm] = useState({ timezone: patient.timezone, language: patient.language as 'tr' | 'en', therapist_id: patient.therapist_id ?? '' });
  const fields = update.error ? describeError(update.error).fields : {};

  function submit(event: FormEvent) {
    event.preventDefault();
    const changes: components['schemas']['PatientPatchIn'] = { timezone: form.timezone as components['schemas']['PatientPatchIn']['timezone'], language: form.language };
    if (isAdmin && form.therapist_id && form.therapist_id !== patient.therapist_id) changes.therapist_id = form.therapist_id;
    update.mutate(changes);
  }

  return (
    <section className="card" aria-labelledby="settings-title">
      <h2 id="settings-title">{t('settings.title')}</h2>
      <form onSubmit={submit}>
        <Field label={t('createPatient.timezone')} errors={fields.timezone}>
          {(id, d) => <input id={id} aria-describedby={d} value={form.timezone} onChange={(e) => setForm({ ...form, timezone: e.target.value })} />}
        </Field>
        <Field label={t('createPatient.language')}>
          {(id) => (
            <select id={id} value={form.language} onChange={(e) => setForm({ ...form, language: e.target.value as 'tr' | 'en' })}>
              <option value="tr">Türkçe</option>
              <option value="en">English</option>
            </select>
          )}
        </Field>
        {isAdmin && (
          <Field label={t('settings.therapist')} errors={fields.therapist_id}>
            {(id) => (
              <select id={id} value={form.therapist_id} onChange={(e) => setForm({ ...form, therapist_id: e.target.value })}>
                {(therapists.data ?? []).filter((m) => m.is_active).map((m) => (
                  <option key={m.id} value={m.id}>{m.name}</option>
                ))}
              </select>
            )}
          </Field>
        )}
        {update.error ? <ErrorState error={update.error} /> : null}
        {update.isSuccess && <p role="status" className="success">{t('settings.saved')}</p>}
        <button type="submit" disabled={update.isPending}>{t('action.save')}</button>
      </form>
    </section>
  );
}
