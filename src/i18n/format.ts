/**
 * Presentation formatting shared by the pages: thin wrappers over the domain's zone-aware helpers, so
 * every component formats numbers, percentages and times the same way.
 */
import { intlLocale } from '../domain/i18n.ts';
import { type DateStyle, formatDate, formatDateTime, formatDuration, formatEndDateTime } from '../domain/time.ts';
import type { Locale } from '../domain/vocab.ts';

export { formatDate, formatDateTime, formatDuration, formatEndDateTime };

// Building an Intl formatter costs ~100 times more than using one, and the home page formats two values for
// each of its ~600 uptime bars: each formatter is built once per locale and option set.
const formatters = new Map<string, Intl.NumberFormat | Intl.DateTimeFormat>();
function cached<F extends Intl.NumberFormat | Intl.DateTimeFormat>(key: string, build: () => F): F {
  let f = formatters.get(key) as F | undefined;
  if (!f) {
    f = build();
    formatters.set(key, f);
  }
  return f;
}

/** "99,95 %": truncated, never rounded up, so a day with any downtime never reads as 100 %. */
export function formatPercent(ratio: number | null, locale: Locale, fallback = '—'): string {
  if (ratio === null || Number.isNaN(ratio)) return fallback;
  const truncated = Math.floor(ratio * 10_000) / 10_000;
  const digits = truncated === 1 ? 0 : 2;
  return cached(`pct|${locale}|${digits}`, () =>
    new Intl.NumberFormat(intlLocale(locale), { style: 'percent', minimumFractionDigits: digits, maximumFractionDigits: 2 }),
  ).format(truncated);
}

export function formatNumber(n: number, locale: Locale): string {
  return new Intl.NumberFormat(intlLocale(locale)).format(n);
}

/** The zone's short names over a year ("CET/CEST"), for the footer note; empty when Intl only knows offsets. */
export function zoneShortNames(timeZone: string, locale: Locale, year = new Date().getUTCFullYear()): string {
  const fmt = new Intl.DateTimeFormat(intlLocale(locale), { timeZone, timeZoneName: 'short' });
  const name = (d: Date) => fmt.formatToParts(d).find((p) => p.type === 'timeZoneName')?.value ?? '';
  const names = [...new Set([name(new Date(Date.UTC(year, 0, 15))), name(new Date(Date.UTC(year, 6, 15)))])].filter(Boolean);
  return names.join('/');
}

/** "marzo 2026" / "March 2026" from a 'YYYY-MM' key. */
export function formatMonth(key: string, locale: Locale): string {
  const [y, m] = key.split('-').map(Number);
  if (!y || !m) return key;
  const label = new Intl.DateTimeFormat(intlLocale(locale), { month: 'long', year: 'numeric', timeZone: 'UTC' }).format(
    new Date(Date.UTC(y, m - 1, 15)),
  );
  return label.charAt(0).toLocaleUpperCase(intlLocale(locale)) + label.slice(1);
}

/** "12 mar" for a 'YYYY-MM-DD' key (a calendar date, so no zone conversion). */
export function formatDayKey(key: string, locale: Locale, withWeekday = false): string {
  const [y, m, d] = key.split('-').map(Number);
  if (!y || !m || !d) return key;
  return cached(`day|${locale}|${withWeekday}`, () =>
    new Intl.DateTimeFormat(intlLocale(locale), {
      ...(withWeekday ? { weekday: 'short' as const } : {}),
      day: 'numeric',
      month: 'short',
      year: 'numeric',
      timeZone: 'UTC',
    }),
  ).format(new Date(Date.UTC(y, m - 1, d, 12)));
}

/** Minutes for the bar details: "3 h 20 min", "24 h". */
export function formatSeconds(seconds: number, locale: Locale): string {
  return formatDuration(seconds * 1000, locale);
}

export type { DateStyle };
