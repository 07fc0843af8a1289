import type { components } from '../../../api/schema';

export type PatientRow = components['schemas']['PatientOut'];
export type SortKey = 'risk' | 'adherence' | 'pain' | 'activity' | 'name';

const SEVERITY_ORDER = ['urgent', 'high', 'normal', 'low', 'info'] as const;

/** Open flags compared most severe first: one urgent outranks any number of high ones. */
export function compareRisk(a: PatientRow, b: PatientRow): number {
  for (const severity of SEVERITY_ORDER) {
    const difference = (b.open_flags[severity] ?? 0) - (a.open_flags[severity] ?? 0);
    if (difference !== 0) return difference;
  }
  return 0;
}

function nullsLast(a: number | null | undefined, b: number | null | undefined, ascending: boolean): number {
  if (a == null && b == null) return 0;
  if (a == null) return 1;
  if (b == null) return -1;
  return ascending ? a - b : b - a;
}

/** The order each sort key means to a therapist: who needs attention first. */
export function sortPatients(rows: PatientRow[], key: SortKey, language: string): PatientRow[] {
  const byName = (a: PatientRow, b: PatientRow) => a.name.localeCompare(b.name, language);
  const compare: Record<SortKey, (a: PatientRow, b: PatientRow) => number> = {
    risk: (a, b) => compareRisk(a, b) || byName(a, b),
    adherence: (a, b) => nullsLast(a.adherence_7d, b.adherence_7d, true) || byName(a, b),
    pain: (a, b) => nullsLast(a.pain_7d_mean, b.pain_7d_mean, false) || byName(a, b),
    activity: (a, b) =>
      nullsLast(a.last_activity_at ? Date.parse(a.last_activity_at) : null, b.last_activity_at ? Date.parse(b.last_activity_at) : null, false) ||
      byName(a, b),
    name: byName,
  };
  return [...rows].sort(compare[key]);
}

/** Search by name, ignoring case and Turkish dotted/dotless i differences. */
export function matchesSearch(row: PatientRow, search: string, language: string): boolean {
  const fold = (text: string) => text.toLocaleLowerCase(language).normalize('NFD').replace(/[\u0300-\u036f]/g, '').replace(/ı/g, 'i');
  return fold(row.name).includes(fold(search.trim()));
}
