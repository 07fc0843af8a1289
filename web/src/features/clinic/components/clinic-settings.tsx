import { useEffect, useRef, useState, type FormEvent, type ReactNode, type RefObject } from 'react';
import type { components } from '../../../api/schema';
import { Field } from '../../../components/ui/field';
import { ErrorState, QueryState } from '../../../components/ui/states';
import { useI18n, type MessageId } from '../../../i18n';
import { describeError } from '../../../lib/problem';
import { useClinic, useUpdateClinic } from '../api/clinic';
import {
  changesOf,
  draftOf,
  mergeSaved,
  partOf,
  splitThresholdErrors,
  thresholdNames,
  type ClinicDraft,
  type Part,
  type ThresholdName,
} from '../utils/clinic-draft';

type ClinicOut = components['schemas']['ClinicOut'];

// Every IANA zone the browser knows, offered as suggestions; the API is the judge of the value.
const TIME_ZONES: string[] = typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : [];

/** The clinic's settings and flag thresholds (clinic admins): each threshold in force with its source. */
export function ClinicSettings() {
  const { t } = useI18n();
  const clinic = useClinic();
  return (
    <section className="card" aria-labelledby="clinic-settings-title">
      <h2 id="clinic-settings-title">{t('clinicSettings.title')}</h2>
      <QueryState query={clinic}>{(data) => <ClinicSettingsForms key={data.id} clinic={data} />}</QueryState>
    </section>
  );
}

/** One draft of the whole screen, saved in two parts: the general settings and the thresholds. */
function ClinicSettingsForms({ clinic }: { clinic: ClinicOut }) {
  const { t, number } = useI18n();
  const [draft, setDraft] = useState<ClinicDraft>(() => draftOf(clinic));
  const general = useSave(clinic, draft, setDraft, 'general');
  const limits = useSave(clinic, draft, setDraft, 'thresholds');
  const fieldErrors = splitThresholdErrors(general.fields).fields;
  const thresholdErrors = splitThresholdErrors(limits.fields);
  const set = (key: Exclude<keyof ClinicDraft, 'thresholds'>) => (value: string) => setDraft({ ...draft, [key]: value });
  const setThreshold = (name: ThresholdName, value: string) => setDraft({ ...draft, thresholds: { ...draft.thresholds, [name]: value } });

  return (
    <>
      <form ref={general.form} onSubmit={general.submit} noValidate aria-label={t('clinicSettings.title')} aria-describedby="clinic-settings-hint">
        <p className="muted small" id="clinic-settings-hint">{t('clinicSettings.hint')}</p>
        <div className="form-grid">
          <Field label={t('clinicSettings.name')} errors={fieldErrors.name}>
            {(id, d) => <input id={id} aria-describedby={d} aria-invalid={Boolean(d)} value={draft.name} onChange={(e) => set('name')(e.target.value)} />}
          </Field>
          <Field label={t('clinicSettings.timezone')} errors={fieldErrors.timezone}>
            {(id, d) => (
              <>
                <input id={id} aria-describedby={d} aria-invalid={Boolean(d)} list={`${id}-zones`} autoComplete="off" spellCheck={false} value={draft.timezone} onChange={(e) => set('timezone')(e.target.value)} />
                <datalist id={`${id}-zones`}>{TIME_ZONES.map((zone) => <option key={zone} value={zone} />)}</datalist>
              </>
            )}
          </Field>
          <Field label={t('clinicSettings.emergencyNumber')} errors={fieldErrors.emergency_number}>
            {(id, d) => <input id={id} aria-describedby={d} aria-invalid={Boolean(d)} type="tel" autoComplete="off" value={draft.emergency_number} onChange={(e) => set('emergency_number')(e.target.value)} />}
          </Field>
          <Field label={t('clinicSettings.digestTime')} errors={fieldErrors.digest_time}>
            {(id, d) => <input id={id} aria-describedby={d} aria-invalid={Boolean(d)} type="time" value={draft.digest_time} onChange={(e) => set('digest_time')(e.target.value)} />}
          </Field>
          <Field label={t('clinicSettings.defaultLanguage')} errors={fieldErrors.default_language}>
            {(id, d) => (
              <select id={id} aria-describedby={d} value={draft.default_language} onChange={(e) => set('default_language')(e.target.value)}>
                <option value="tr">Türkçe</option>
                <option value="en">English</option>
              </select>
            )}
          </Field>
          <Field label={t('clinicSettings.erasureRetention')} errors={fieldErrors.erasure_retention}>
            {(id, d) => (
              <select id={id} aria-describedby={d} value={draft.erasure_retention} onChange={(e) => set('erasure_retention')(e.target.value)}>
                <option value="keep_deidentified">{t('clinicSettings.retention.keep_deidentified')}</option>
                <option value="delete">{t('clinicSettings.retention.delete')}</option>
              </select>
            )}
          </Field>
        </div>
        <SaveBar save={general} />
      </form>

      <form ref={limits.form} onSubmit={limits.submit} noValidate aria-labelledby="thresholds-title">
        <h3 id="thresholds-title">{t('clinicSettings.thresholds')}</h3>
        <p className="muted small" id="thresholds-hint">{t('clinicSettings.thresholdsHint')}</p>
        {thresholdErrors.fields.flag_thresholds && <p className="field-error">{thresholdErrors.fields.flag_thresholds.join(' ')}</p>}
        <table className="table compact thresholds" aria-labelledby="thresholds-title" aria-describedby="thresholds-hint">
          <thead>
            <tr>
              <th scope="col">{t('clinicSettings.threshold')}</th>
              <th scope="col" className="numeric">{t('clinicSettings.inForce')}</th>
              <th scope="col">{t('clinicSettings.source')}</th>
              <th scope="col">{t('clinicSettings.clinicValue')}</th>
            </tr>
          </thead>
          <tbody>
            {thresholdNames(clinic).map((name) => {
              const label = t(`threshold.${name}` as MessageId);
              const inForce = clinic.effective_flag_thresholds[name];
              const messages = thresholdErrors.thresholds[name];
              const inputId = `threshold-${name}`;
              return (
                <tr key={name} className={inForce.source === 'clinic' ? 'overridden' : undefined}>
                  <th scope="row">
                    {label}
                    <br />
                    <code className="muted small">{name}</code>
                  </th>
                  <td className="numeric">{number(inForce.value, 2)}</td>
                  <td><span className={`badge source-${inForce.source}`}>{t(`thresholdSource.${inForce.source}` as MessageId)}</span></td>
                  <td>
                    <div className="threshold-input">
                      <label htmlFor={inputId} className="visually-hidden">{t('clinicSettings.clinicValueOf', { name: label })}</label>
                      <input
                        id={inputId}
                        inputMode="decimal"
                        autoComplete="off"
                        aria-invalid={Boolean(messages)}
                        aria-describedby={messages ? `${inputId}-error` : undefined}
                        value={draft.thresholds[name]}
                        onChange={(e) => setThreshold(name, e.target.value)}
                      />
                      {draft.thresholds[name] !== '' && (
                        <button type="button" className="link-button" onClick={() => setThreshold(name, '')}>
                          {t('clinicSettings.useDefault')}
                          <span className="visually-hidden"> ({label})</span>
                        </button>
                      )}
                    </div>
                    {messages && <p id={`${inputId}-error`} className="field-error">{messages.join(' ')}</p>}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
        <SaveBar save={limits} />
      </form>
    </>
  );
}

interface Save {
  form: RefObject<HTMLFormElement | null>;
  submit: (event: FormEvent) => void;
  dirty: boolean;
  saved: boolean;
  pending: boolean;
  error: unknown;
  fields: Record<string, string[]>;
}

/** Saving one part of the draft: only what changed in it, leaving the other part as typed. */
function useSave(clinic: ClinicOut, draft: ClinicDraft, setDraft: (draft: ClinicDraft) => void, part: Part): Save {
  const update = useUpdateClinic();
  const form = useRef<HTMLFormElement>(null);
  const changes = partOf(changesOf(clinic, draft), part);
  const dirty = Object.keys(changes).length > 0;
  // The first refused field takes the focus once its message is drawn beside it.
  useEffect(() => {
    if (update.error) form.current?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
  }, [update.error]);
  return {
    form,
    dirty,
    saved: update.isSuccess && !dirty,
    pending: update.isPending,
    error: update.error,
    fields: update.error ? describeError(update.error).fields : {},
    submit: (event) => {
      event.preventDefault();
      if (!dirty) return;
      update.mutate(changes, { onSuccess: (saved) => setDraft(mergeSaved(saved, draft, part)) });
    },
  };
}

function SaveBar({ save }: { save: Save }) {
  const { t } = useI18n();
  let message: ReactNode = null;
  if (save.error && describeError(save.error).key === 'error.invalid') message = <p role="alert" className="state state-error">{t('clinicSettings.fixFields')}</p>;
  else if (save.error) message = <ErrorState error={save.error} />;
  return (
    <>
      {message}
      <div className="form-actions save-bar">
        <button type="submit" className="primary" disabled={save.pending || !save.dirty}>{t('action.save')}</button>
        <span role="status" className={save.saved ? 'success' : 'muted'}>
          {save.saved ? t('settings.saved') : save.dirty ? t('clinicSettings.unsaved') : ''}
        </span>
      </div>
    </>
  );
}
