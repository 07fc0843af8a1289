import { useState, type FormEvent } from 'react';
import { useNavigate } from 'react-router';
import { Field } from '../../../components/ui/field';
import { ErrorState } from '../../../components/ui/states';
import { useI18n } from '../../../i18n';
import { describeError } from '../../../lib/problem';
import { useDownloadExport, useDownloadReport, useErasePatient } from '../api/documents';

/** The progress report and the data export; erasure for clinic admins. */
export function PatientDocuments({ patientId, name, isAdmin }: { patientId: string; name: string; isAdmin: boolean }) {
  const { t } = useI18n();
  return (
    <section className="card" aria-labelledby="documents-title">
      <h2 id="documents-title">{t('documents.title')}</h2>
      <ReportForm patientId={patientId} />
      <ExportButtons patientId={patientId} />
      {isAdmin && <EraseForm patientId={patientId} name={name} />}
    </section>
  );
}

function ReportForm({ patientId }: { patientId: string }) {
  const { t } = useI18n();
  const report = useDownloadReport(patientId);
  const [range, setRange] = useState({ from: '', to: '', lang: '' });
  const fields = report.error ? describeError(report.error).fields : {};

  function submit(event: FormEvent) {
    event.preventDefault();
    report.mutate({ from: range.from, to: range.to, lang: (range.lang || undefined) as 'tr' | 'en' | undefined });
  }

  return (
    <form onSubmit={submit} aria-labelledby="report-title">
      <h3 id="report-title">{t('documents.report')}</h3>
      <p className="muted small">{t('documents.reportHint')}</p>
      <div className="form-grid">
        <Field label={t('documents.from')} errors={fields.from}>
          {(id, d) => <input id={id} type="date" aria-describedby={d} value={range.from} onChange={(e) => setRange({ ...range, from: e.target.value })} />}
        </Field>
        <Field label={t('documents.to')} errors={fields.to}>
          {(id, d) => <input id={id} type="date" aria-describedby={d} value={range.to} onChange={(e) => setRange({ ...range, to: e.target.value })} />}
        </Field>
        <Field label={t('documents.language')}>
          {(id) => (
            <select id={id} value={range.lang} onChange={(e) => setRange({ ...range, lang: e.target.value })}>
              <option value="">{t('documents.clinicLanguage')}</option>
              <option value="tr">Türkçe</option>
              <option value="en">English</option>
            </select>
          )}
        </Field>
      </div>
      {report.error ? <ErrorState error={report.error} /> : null}
      <button type="submit" disabled={report.isPending}>{report.isPending ? t('state.working') : t('documents.downloadReport')}</button>
    </form>
  );
}

function ExportButtons({ patientId }: { patientId: string }) {
  const { t } = useI18n();
  const download = useDownloadExport(patientId);
  return (
    <div role="group" aria-labelledby="export-title">
      <h3 id="export-title">{t('documents.export')}</h3>
      <p className="muted small">{t('documents.exportHint')}</p>
      {download.error ? <ErrorState error={download.error} /> : null}
      <div className="button-row">
        <button type="button" disabled={download.isPending} onClick={() => download.mutate('json')}>{t('documents.exportJson')}</button>{' '}
        <button type="button" disabled={download.isPending} onClick={() => download.mutate('fhir')}>{t('documents.exportFhir')}</button>
      </div>
    </div>
  );
}

function EraseForm({ patientId, name }: { patientId: string; name: string }) {
  const { t } = useI18n();
  const navigate = useNavigate();
  const erase = useErasePatient(patientId);
  const [reason, setReason] = useState('');
  const [sure, setSure] = useState(false);

  function submit(event: FormEvent) {
    event.preventDefault();
    erase.mutate(reason.trim(), { onSuccess: () => navigate('/patients', { state: { erased: name } }) });
  }

  return (
    <form onSubmit={submit} aria-labelledby="erase-title" className="danger-zone">
      <h3 id="erase-title">{t('documents.erase')}</h3>
      <p className="small">{t('documents.eraseHint')}</p>
      <div className="field">
        <label htmlFor="erase-reason">{t('documents.eraseReason')}</label>
        <textarea id="erase-reason" required rows={2} value={reason} onChange={(e) => setReason(e.target.value)} />
      </div>
      <label className="block">
        <input type="checkbox" checked={sure} onChange={(e) => setSure(e.target.checked)} /> {t('documents.eraseConfirm', { name })}
      </label>
      {erase.error ? <ErrorState error={erase.error} /> : null}
      <button type="submit" className="danger" disabled={erase.isPending || !sure || !reason.trim()}>{t('documents.eraseSubmit')}</button>
    </form>
  );
}
