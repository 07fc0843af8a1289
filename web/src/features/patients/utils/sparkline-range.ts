import { addDays, dayIn } from '../../../i18n';

/** The fourteen calendar days a row's pain sparkline shows: the clinic's today and the thirteen
 * before it (the browser's or UTC's day would be off by one around midnight). */
export function sparklineRange(timeZone: string, now: Date = new Date()): { from: string; to: string } {
  const to = dayIn(timeZone, now);
  return { from: addDays(to, -13), to };
}
