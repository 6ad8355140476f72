/** Helpers shared by the console's form components. */
import type { Locale } from '../../domain/vocab.ts';
import { intlLocale } from '../../domain/i18n.ts';

/** The element id of a form field: unique per form prefix, safe in a URL fragment. */
export function fieldId(name: string, prefix = ''): string {
  return `f-${prefix ? `${prefix}-` : ''}${name.replace(/[^a-zA-Z0-9_-]/g, '-')}`;
}

/** "CET/CEST": the zone's short names over the year, to print next to every date-time field. */
export function zoneNames(timeZone: string, locale: Locale, year = new Date().getUTCFullYear()): string {
  try {
    const fmt = new Intl.DateTimeFormat(intlLocale(locale), { timeZone, timeZoneName: 'short' });
    const name = (d: Date) => fmt.formatToParts(d).find((p) => p.type === 'timeZoneName')?.value ?? '';
    return [...new Set([name(new Date(Date.UTC(year, 0, 15))), name(new Date(Date.UTC(year, 6, 15)))])].filter(Boolean).join('/');
  } catch {
    return '';
  }
}

export type Option = { value: string; label: string };
