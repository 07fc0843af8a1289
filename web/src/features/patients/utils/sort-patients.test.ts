import { describe, expect, it } from 'vitest';
import { compareRisk, matchesSearch, sortPatients, type PatientRow } from './sort-patients';

function row(name: string, fields: Partial<PatientRow> = {}): PatientRow {
  return {
    id: name,
    name,
    email: `${name}@x.example`,
    timezone: 'Europe/Istanbul',
    language: 'en',
    created_at: '2026-01-01T00:00:00Z',
    open_flags: { urgent: 0, high: 0, normal: 0, low: 0, info: 0 },
    ...fields,
  } as PatientRow;
}

const flags = (f: Partial<PatientRow['open_flags']>) => ({ urgent: 0, high: 0, normal: 0, low: 0, info: 0, ...f });

describe('sortPatients', () => {
  it('puts one urgent flag ahead of many high ones', () => {
    const rows = [row('A', { open_flags: flags({ high: 5 }) }), row('B', { open_flags: flags({ urgent: 1 }) }), row('C')];
    expect(sortPatients(rows, 'risk', 'en').map((r) => r.name)).toEqual(['B', 'A', 'C']);
    expect(compareRisk(rows[0], rows[0])).toBe(0);
  });

  it('lists the lowest adherence first and patients without data last', () => {
    const rows = [row('A', { adherence_7d: 0.9 }), row('B', { adherence_7d: null }), row('C', { adherence_7d: 0.2 })];
    expect(sortPatients(rows, 'adherence', 'en').map((r) => r.name)).toEqual(['C', 'A', 'B']);
  });

  it('lists the highest pain and the most recent activity first', () => {
    const rows = [
      row('A', { pain_7d_mean: 3, last_activity_at: '2026-12-01T10:00:00Z' }),
      row('B', { pain_7d_mean: 7, last_activity_at: null }),
      row('C', { pain_7d_mean: null, last_activity_at: '2026-12-05T10:00:00Z' }),
    ];
    expect(sortPatients(rows, 'pain', 'en').map((r) => r.name)).toEqual(['B', 'A', 'C']);
    expect(sortPatients(rows, 'activity', 'en').map((r) => r.name)).toEqual(['C', 'A', 'B']);
  });

  it('breaks ties by name in the language of the console', () => {
    const rows = [row('Zeynep'), row('Çağrı'), row('Ayşe')];
    expect(sortPatients(rows, 'risk', 'tr').map((r) => r.name)).toEqual(['Ayşe', 'Çağrı', 'Zeynep']);
  });
});

describe('matchesSearch', () => {
  it('matches part of a name regardless of case and accents', () => {
    expect(matchesSearch(row('John Smith'), 'john', 'en')).toBe(true);
    expect(matchesSearch(row('Ayşe Yılmaz'), 'ayse yil', 'tr')).toBe(true);
    expect(matchesSearch(row('Ayşe Yılmaz'), 'john', 'tr')).toBe(false);
  });
});
