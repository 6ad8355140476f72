/**
 * Calendar arithmetic in a named IANA time zone, with Intl only.
 *
 * Instants are stored in UTC; readers think in the page's wall-clock time (Europe/Rome by default).
 * Anything that talks about "a day" must therefore be built from local midnights: around DST changes
 * a day is 23 or 25 hours long, so stepping by 86 400 s drifts an hour off the calendar.
 */
import type { Locale } from './vocab.ts';
import { intlLocale } from './i18n.ts';

export const DEFAULT_TIME_ZONE = 'Europe/Rome';

const MS_PER_MINUTE = 60_000;
const MS_PER_HOUR = 3_600_000;
const MS_PER_DAY = 86_400_000;

/** Wall-clock reading of an instant in a zone; month is 1-based. */
export type ZonedParts = {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  millisecond: number;
};

// Building a DateTimeFormat is far more expensive than using one; bar charts call this thousands of times.
const partsFormatters = new Map<string, Intl.DateTimeFormat>();

function partsFormatter(timeZone: string): Intl.DateTimeFormat {
  let f = partsFormatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    partsFormatters.set(timeZone, f);
  }
  return f;
}

/** True when the runtime knows the zone (an unknown zone makes Intl throw a RangeError). */
export function isValidTimeZone(timeZone: string): boolean {
  try {
    partsFormatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

export function zonedParts(date: Date, timeZone: string): ZonedParts {
  const out: Record<string, string> = {};
  for (const p of partsFormatter(timeZone).formatToParts(date)) out[p.type] = p.value;
  return {
    year: Number(out.year),
    month: Number(out.month),
    day: Number(out.day),
    hour: Number(out.hour),
    minute: Number(out.minute),
    second: Number(out.second),
    // Offsets are whole seconds in every zone since 1972, so milliseconds carry over unchanged.
    millisecond: ((date.getTime() % 1000) + 1000) % 1000,
  };
}

/** The zone's UTC offset at an instant, in ms (Rome: +3 600 000 in winter, +7 200 000 in summer). */
export function zoneOffsetMs(date: Date, timeZone: string): number {
  const p = zonedParts(date, timeZone);
  const asUtc = utcMs(p.year, p.month, p.day, p.hour, p.minute, p.second, p.millisecond);
  return asUtc - date.getTime();
}

/**
 * The instant at which the zone's clocks read the given wall-clock time.
 *
 * DST choice (the same as Temporal's `disambiguation: 'compatible'`, and what most calendar apps do):
 * - a time skipped by a spring-forward gap is moved forward by the gap's length
 *   (Rome, 29 March 2026: 02:30 does not exist → 03:30 CEST = 01:30 UTC);
 * - a time repeated by a fall-back overlap resolves to its first, earlier occurrence
 *   (Rome, 25 October 2026: 02:30 → 02:30 CEST = 00:30 UTC, not 02:30 CET).
 * Matching Temporal means a browser-side picker using it reads the same instant as the server.
 * Fields may overflow (day 32, hour -1): they are normalised like Date.UTC does.
 */
export function zonedTimeToUtc(
  timeZone: string,
  year: number,
  month: number,
  day: number,
  hour = 0,
  minute = 0,
  second = 0,
  millisecond = 0,
): Date {
  const localMs = utcMs(year, month, day, hour, minute, second, millisecond);
  // Real zones change offset at most once in any two-day span, so the offsets a day either side
  // are the only candidates.
  const before = zoneOffsetMs(new Date(localMs - MS_PER_DAY), timeZone);
  const after = zoneOffsetMs(new Date(localMs + MS_PER_DAY), timeZone);
  const valid = [before, after]
    .map((offset) => localMs - offset)
    .filter((candidate) => zoneOffsetMs(new Date(candidate), timeZone) === localMs - candidate);
  if (valid.length > 0) return new Date(Math.min(...valid));
  // Gap: read the time with the offset in force before the jump, which lands past the jump.
  return new Date(localMs - before);
}

// Like Date.UTC with a 1-based month, minus its habit of mapping years 0–99 to 1900–1999.
function utcMs(y: number, mo: number, d: number, h: number, mi: number, s: number, ms: number): number {
  const dt = new Date(0);
  dt.setUTCFullYear(y, mo - 1, d);
  dt.setUTCHours(h, mi, s, ms);
  return dt.getTime();
}

/** The first instant of the local calendar day containing `date`. */
export function startOfZonedDay(date: Date, timeZone: string): Date {
  const p = zonedParts(date, timeZone);
  return zonedTimeToUtc(timeZone, p.year, p.month, p.day);
}

/**
 * Moves by whole calendar days keeping the wall-clock time, so "same time tomorrow" across a DST
 * change is 23 or 25 hours later. A time that falls into a gap on the target day follows the
 * rule of `zonedTimeToUtc`.
 */
export function addZonedDays(date: Date, days: number, timeZone: string): Date {
  if (!Number.isInteger(days)) throw new RangeError(`addZonedDays needs whole days, got ${days}`);
  const p = zonedParts(date, timeZone);
  return zonedTimeToUtc(timeZone, p.year, p.month, p.day + days, p.hour, p.minute, p.second, p.millisecond);
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** 'YYYY-MM-DD' of the local calendar day: the key of a day bar and of "incidents on this day". */
export function zonedDateKey(date: Date, timeZone: string): string {
  const p = zonedParts(date, timeZone);
  return `${pad(p.year, 4)}-${pad(p.month)}-${pad(p.day)}`;
}

/** 'YYYY-MM-DDTHH:mm', the value format of <input type="datetime-local">, in the zone. */
export function formatZonedLocal(date: Date, timeZone: string): string {
  const p = zonedParts(date, timeZone);
  return `${zonedDateKey(date, timeZone)}T${pad(p.hour)}:${pad(p.minute)}`;
}

const LOCAL_DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?)?$/;

/**
 * Reads a wall-clock time typed by an operator ('2026-03-29T02:30', seconds optional, a space
 * allowed instead of 'T', date alone = midnight) as a time in `timeZone`.
 * Returns null for anything malformed or impossible (2026-02-30, 24:00) rather than throwing,
 * because it feeds form validation. DST gaps and overlaps follow `zonedTimeToUtc`.
 */
export function parseZonedLocal(value: string, timeZone: string): Date | null {
  const m = LOCAL_DATE_TIME.exec(value.trim());
  if (!m) return null;
  const field = (i: number) => Number(m[i] ?? 0);
  const [year, month, day, hour, minute, second] = [field(1), field(2), field(3), field(4), field(5), field(6)];
  if (month < 1 || month > 12 || hour > 23 || minute > 59 || second > 59) return null;
  if (day < 1 || day > daysInMonth(year, month)) return null;
  return zonedTimeToUtc(timeZone, year, month, day, hour, minute, second);
}

function daysInMonth(year: number, month: number): number {
  // Day 0 of the next month is the last day of this one.
  return new Date(utcMs(year, month + 1, 0, 0, 0, 0, 0)).getUTCDate();
}

export type DateStyle = 'short' | 'medium' | 'long';

export type FormatDateTimeOptions = {
  /** short: 28/11/26 · medium (default): 28 nov 2026 · long: 28 novembre 2026 */
  dateStyle?: DateStyle;
  /** Append the zone's short name (CET/CEST). Defaults to true: a time without its zone is ambiguous to readers abroad. */
  withZone?: boolean;
};

const MONTH_FOR_STYLE = { short: '2-digit', medium: 'short', long: 'long' } as const;

function dateFields(style: DateStyle): Intl.DateTimeFormatOptions {
  return style === 'short'
    ? { day: '2-digit', month: '2-digit', year: '2-digit' }
    : { day: 'numeric', month: MONTH_FOR_STYLE[style], year: 'numeric' };
}

/**
 * "28 nov 2026, 14:30 CET" / "28 Nov 2026, 14:30 CET".
 * Intl refuses dateStyle together with timeZoneName, so the date fields are spelled out instead.
 */
export function formatDateTime(
  date: Date,
  locale: Locale,
  timeZone: string,
  options: FormatDateTimeOptions = {},
): string {
  const { dateStyle = 'medium', withZone = true } = options;
  return displayFormatter(locale, timeZone, dateStyle, true, withZone).format(date);
}

/**
 * An instant that ENDS something ("available until", "expected by"), written like formatDateTime except that
 * local midnight reads as 24:00 of the day before: "2 dic 2026, 24:00 CET", never "3 dic 2026, 00:00 CET",
 * which readers take as "open during 3 December". Every page writes such an instant this way (Time.astro's
 * `end`), and so do the demo's texts, so one closing time is never written three ways.
 */
export function formatEndDateTime(date: Date, locale: Locale, timeZone: string, options: FormatDateTimeOptions = {}): string {
  const { hour, minute } = zonedParts(date, timeZone);
  if (hour !== 0 || minute !== 0) return formatDateTime(date, locale, timeZone, options);
  const { dateStyle = 'medium', withZone = true } = options;
  // A minute earlier is the right calendar day (and zone name); only its time is replaced.
  const parts = displayFormatter(locale, timeZone, dateStyle, true, withZone).formatToParts(new Date(date.getTime() - 60_000));
  return parts.map((p) => (p.type === 'hour' ? '24' : p.type === 'minute' ? '00' : p.value)).join('');
}

/** The local calendar date alone: "28 nov 2026". */
export function formatDate(date: Date, locale: Locale, timeZone: string, dateStyle: DateStyle = 'medium'): string {
  return displayFormatter(locale, timeZone, dateStyle, false, false).format(date);
}

// A page lists dozens of updates and a feed hundreds: reuse formatters rather than rebuild them.
const displayFormatters = new Map<string, Intl.DateTimeFormat>();

function displayFormatter(
  locale: Locale,
  timeZone: string,
  dateStyle: DateStyle,
  withTime: boolean,
  withZone: boolean,
): Intl.DateTimeFormat {
  const key = [locale, timeZone, dateStyle, withTime, withZone].join('|');
  let f = displayFormatters.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat(intlLocale(locale), {
      timeZone,
      ...dateFields(dateStyle),
      ...(withTime ? { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' } : {}),
      ...(withZone ? { timeZoneName: 'short' } : {}),
    });
    displayFormatters.set(key, f);
  }
  return f;
}

const DURATION_UNITS: Record<Locale, { day: string; hour: string; minute: string }> = {
  it: { day: 'g', hour: 'h', minute: 'min' },
  en: { day: 'd', hour: 'h', minute: 'min' },
};

/**
 * A compact duration with at most two units: "3 h 20 min", "2 g 4 h" (it) / "2 d 4 h" (en),
 * "45 min", "< 1 min". Rounded to the smaller unit shown (minutes under a day, hours from a day up):
 * readers of an outage want the order of magnitude, and seconds would suggest false precision.
 * Negative input (clock skew between "now" and a stored start) counts as zero rather than throwing.
 */
export function formatDuration(ms: number, locale: Locale): string {
  if (Number.isNaN(ms)) throw new RangeError('formatDuration: NaN');
  const u = DURATION_UNITS[locale] ?? DURATION_UNITS.it;
  const safe = Math.max(0, ms);
  if (safe === 0) return `0 ${u.minute}`;
  const minutes = Math.round(safe / MS_PER_MINUTE);
  if (minutes === 0) return `< 1 ${u.minute}`;
  if (minutes < 24 * 60) {
    const h = Math.floor(minutes / 60);
    const m = minutes % 60;
    if (h === 0) return `${m} ${u.minute}`;
    return m === 0 ? `${h} ${u.hour}` : `${h} ${u.hour} ${m} ${u.minute}`;
  }
  const hours = Math.round(safe / MS_PER_HOUR);
  const d = Math.floor(hours / 24);
  const h = hours % 24;
  return h === 0 ? `${d} ${u.day}` : `${d} ${u.day} ${h} ${u.hour}`;
}
