// Every visible string comes from tr.json / en.json; dates and numbers go through Intl in the
// clinic's time zone.
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { setReaderLanguage } from '../lib/reader-language';
import en from './en.json';
import tr from './tr.json';

export type Language = 'tr' | 'en';
export type MessageId = keyof typeof en;
export type Vars = Record<string, string | number>;

const dictionaries: Record<Language, Record<string, string>> = { en, tr };

/** A message with its {placeholders} filled in. */
export function translate(language: Language, id: MessageId, vars: Vars = {}): string {
  const template = dictionaries[language][id] ?? dictionaries.en[id] ?? id;
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => (name in vars ? String(vars[name]) : whole));
}

export interface I18n {
  language: Language;
  timeZone: string;
  setLanguage: (language: Language) => void;
  setTimeZone: (timeZone: string) => void;
  t: (id: MessageId, vars?: Vars) => string;
  date: (value: string | Date) => string;
  dateTime: (value: string | Date) => string;
  /** Today's date (YYYY-MM-DD) in the clinic's time zone. */
  today: () => string;
  number: (value: number, digits?: number) => string;
  percent: (ratio: number) => string;
}

const Context = createContext<I18n | null>(null);

// Building an Intl format costs far more than using one (a chart's axis and the diary format
// dozens of days on every render), so each distinct format is built once.
const formats = new Map<string, Intl.DateTimeFormat | Intl.NumberFormat>();

function dateFormat(language: string, options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const key = `date ${language} ${JSON.stringify(options)}`;
  let format = formats.get(key) as Intl.DateTimeFormat | undefined;
  if (!format) formats.set(key, (format = new Intl.DateTimeFormat(language, options)));
  return format;
}

function numberFormat(language: string, options: Intl.NumberFormatOptions): Intl.NumberFormat {
  const key = `number ${language} ${JSON.stringify(options)}`;
  let format = formats.get(key) as Intl.NumberFormat | undefined;
  if (!format) formats.set(key, (format = new Intl.NumberFormat(language, options)));
  return format;
}

/** A calendar date (YYYY-MM-DD) is shown as that day, not shifted by any time zone. */
export function formatDay(language: Language, day: string): string {
  const [y, m, d] = day.split('-').map(Number);
  return dateFormat(language, { day: 'numeric', month: 'short', timeZone: 'UTC' }).format(new Date(Date.UTC(y, m - 1, d)));
}

/** The calendar day (YYYY-MM-DD) an instant falls on in a time zone. */
export function dayIn(timeZone: string, instant: Date = new Date()): string {
  return dateFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(instant);
}

/** The day `days` after a calendar day (YYYY-MM-DD), without any time zone. */
export function addDays(day: string, days: number): string {
  const [y, m, d] = day.split('-').map(Number);
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10);
}

/** Dates, times and numbers for one language, instants shown in the clinic's time zone. */
export function formatters(language: Language, timeZone: string) {
  const dayFormat = dateFormat(language, { dateStyle: 'medium', timeZone });
  const dateTimeFormat = dateFormat(language, { dateStyle: 'medium', timeStyle: 'short', timeZone });
  return {
    date: (v: string | Date) => (typeof v === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(v) ? formatDay(language, v) : dayFormat.format(new Date(v))),
    dateTime: (v: string | Date) => dateTimeFormat.format(new Date(v)),
    today: () => dayIn(timeZone),
    number: (v: number, digits = 1) => numberFormat(language, { maximumFractionDigits: digits }).format(v),
    percent: (r: number) => numberFormat(language, { style: 'percent', maximumFractionDigits: 0 }).format(r),
  };
}

// Until the clinic's settings arrive (app/clinic-time-zone.ts sets them) the browser's zone stands in.
export function I18nProvider({ children }: { children: ReactNode }) {
  const [language, setLanguage] = useState<Language>(() => (navigator.language.startsWith('tr') ? 'tr' : 'en'));
  // An initialiser, not a value: building an Intl format on every render was a cost of its own.
  const [timeZone, setTimeZone] = useState<string>(() => Intl.DateTimeFormat().resolvedOptions().timeZone);
  useEffect(() => setReaderLanguage(language), [language]);
  // t changes with the language only: the clinic's time zone arriving must not rebuild what
  // depends on words alone (a chart's options, and so the chart).
  const t = useCallback((id: MessageId, vars?: Vars) => translate(language, id, vars), [language]);
  const value = useMemo<I18n>(
    () => ({ language, timeZone, setLanguage, setTimeZone, t, ...formatters(language, timeZone) }),
    [language, timeZone, t],
  );
  return <Context.Provider value={value}>{children}</Context.Provider>;
}

export function useI18n(): I18n {
  const value = useContext(Context);
  if (!value) throw new Error('useI18n outside I18nProvider');
  return value;
}
