import { Link, useParams } from 'react-router';
import { QueryState } from '../../../components/ui/states';
import { useI18n } from '../../../i18n';
import { useCurrentProgramme, usePatient } from '../api/patient';
import { AdherenceChart, PainChart } from './charts';
import { Diary } from './diary';
import { MeasureSchedules } from './measure-schedules';
import { OutcomeCharts } from './outcome-charts';
import { PatientDocuments } from './patient-documents';
import { PatientFlags } from './patient-flags';
import { PatientSettings } from './patient-settings';
import { ProgrammePanel } from './programme-panel';

export default function PatientPage({ isAdmin }: { isAdmin: boolean }) {
  const { patientId = '' } = useParams();
  const { t, percent, number } = useI18n();
  const patient = usePatient(patientId);
  const programme = useCurrentProgramme(patientId);
  return (
    <div className="page">
      <p className="breadcrumb"><Link to="/patients">← {t('nav.patients')}</Link></p>
      <QueryState query={patient}>
        {(p) => (
          <>
            <h1>{p.name}</h1>
            <dl className="summary">
              <div><dt>{t('patients.adherence')}</dt><dd>{p.adherence_7d == null ? '–' : percent(p.adherence_7d)}</dd></div>
              <div><dt>{t('patients.pain')}</dt><dd>{p.pain_7d_mean == null ? '–' : number(p.pain_7d_mean)}</dd></div>
              <div><dt>{t('patient.timezone')}</dt><dd>{p.timezone}</dd></div>
              <div><dt>{t('patient.language')}</dt><dd>{p.language === 'tr' ? 'Türkçe' : 'English'}</dd></div>
            </dl>
            <div className="two-columns">
              <div className="column-main">
                <PainChart patientId={patientId} timeZone={p.timezone} />
                <OutcomeCharts patientId={patientId} />
                <AdherenceChart patientId={patientId} />
                <Diary patientId={patientId} />
              </div>
              <div className="column-side">
                <PatientFlags patientId={patientId} />
                <ProgrammePanel patientId={patientId} />
                {programme.data?.id && <MeasureSchedules programmeId={programme.data.id} />}
                <PatientSettings patient={p} isAdmin={isAdmin} />
                <PatientDocuments patientId={patientId} name={p.name} isAdmin={isAdmin} />
              </div>
            </div>
          </>
        )}
      </QueryState>
    </div>
  );
}
