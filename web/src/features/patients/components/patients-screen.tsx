import { useMemo, useState } from 'react';
import { Link } from 'react-router';
import { SeverityBadge, SEVERITIES } from '../../../components/ui/severity';
import { Empty, QueryState } from '../../../components/ui/states';
import { useI18n } from '../../../i18n';
import { usePatients } from '../api/patients';
import { matchesSearch, sortPatients, type PatientRow, type SortKey } from '../utils/sort-patients';
import { CreatePatient } from './create-patient';
import { PainSparkline } from './pain-sparkline';

const SORTS: SortKey[] = ['risk', 'adherence', 'pain', 'activity', 'name'];

export function PatientsScreen() {
  const { t, language } = useI18n();
  const query = usePatients();
  const [search, setSearch] = useState('');
  const [sort, setSort] = useState<SortKey>('risk');
  const rows = useMemo(
    () => sortPatients((query.data ?? []).filter((row) => matchesSearch(row, search, language)), sort, language),
    [query.data, search, sort, language],
  );
  return (
    <div className="page">
      <h1>{t('patients.title')}</h1>
      <div className="toolbar" role="search">
        <div className="field inline">
          <label htmlFor="patient-search">{t('patients.search')}</label>
          <input id="patient-search" type="search" value={search} onChange={(e) => setSearch(e.target.value)} />
        </div>
        <div className="field inline">
          <label htmlFor="patient-sort">{t('patients.sortBy')}</label>
          <select id="patient-sort" value={sort} onChange={(e) => setSort(e.target.value as SortKey)}>
            {SORTS.map((key) => (
              <option key={key} value={key}>{t(`patients.sort.${key}`)}</option>
            ))}
          </select>
        </div>
      </div>
      <QueryState query={query}>
        {() => (rows.length === 0 ? <Empty id={search ? 'patients.noMatch' : 'patients.empty'} /> : <PatientsTable rows={rows} />)}
      </QueryState>
      <CreatePatient />
    </div>
  );
}

function PatientsTable({ rows }: { rows: PatientRow[] }) {
  const { t, percent, number, dateTime } = useI18n();
  return (
    <table className="table">
      <caption className="visually-hidden">{t('patients.title')}</caption>
      <thead>
        <tr>
          <th scope="col">{t('patients.name')}</th>
          <th scope="col">{t('patients.openFlags')}</th>
          <th scope="col">{t('patients.adherence')}</th>
          <th scope="col">{t('patients.pain')}</th>
          <th scope="col">{t('patients.trend')}</th>
          <th scope="col">{t('patients.lastActivity')}</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((row) => (
          <tr key={row.id}>
            <th scope="row">
              <Link to={`/patients/${row.id}`}>{row.name}</Link>
              {!row.activated && <span className="muted small"> · {t('patients.notActivated')}</span>}
            </th>
            <td>
              {SEVERITIES.filter((s) => row.open_flags[s] > 0).map((s) => (
                <span key={s} className="flag-count">
                  <SeverityBadge severity={s} /> × {row.open_flags[s]}
                </span>
              ))}
              {SEVERITIES.every((s) => row.open_flags[s] === 0) && <span className="muted">{t('patients.noFlags')}</span>}
            </td>
            <td>{row.adherence_7d == null ? '–' : percent(row.adherence_7d)}</td>
            <td>{row.pain_7d_mean == null ? '–' : number(row.pain_7d_mean)}</td>
            <td className="sparkline-cell"><PainSparkline patientId={row.id} name={row.name} /></td>
            <td>{row.last_activity_at ? dateTime(row.last_activity_at) : '–'}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
