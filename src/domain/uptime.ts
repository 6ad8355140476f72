/**
 * Uptime figures and the daily bars of a service, computed from its status history.
 *
 * History arrives as intervals that may be unsorted, still open, or overlapping a little (a manual
 * status set while an incident's status was still open, a heartbeat racing an operator). Everything
 * here first flattens them into one non-overlapping timeline, then measures it.
 */
import { SERVICE_STATUSES, type ServiceStatus } from './vocab.ts';
import { zonedDateKey, zonedParts, zonedTimeToUtc } from './time.ts';
import { BoundedMemo } from './memo.ts';

export type StatusInterval = { status: ServiceStatus; start: Date; end: Date | null };

/** A piece of the flattened timeline: no two segments overlap, and they are sorted by start. */
export type StatusSegment = { status: ServiceStatus; start: Date; end: Date };

export type DayLevel = 'operational' | 'maintenance' | 'degraded' | 'partial' | 'major' | 'nodata';

export type DayBar = {
  /** Local calendar date in the page's zone, 'YYYY-MM-DD'. */
  date: string;
  /** Local midnight. */
  start: Date;
  /** Next local midnight, or `now` for today's bar. */
  end: Date;
  seconds: Record<ServiceStatus, number>;
  noDataSeconds: number;
  /** null when nothing at all is known about the day (before the service existed). */
  uptime: number | null;
  level: DayLevel;
};

/** Statuspage's weighting: a partial outage costs 30 % of its duration, a major one all of it. */
export const PARTIAL_OUTAGE_WEIGHT = 0.3;

/**
 * A status must last this long in a day (counting worse statuses with it) to colour the bar, so a
 * 2-minute blip leaves the day green while its uptime figure still shows the loss.
 */
export const LEVEL_MIN_SECONDS = 5 * 60;

/**
 * The timeline actually in force. Open intervals run until `now`, nothing is counted after `now`,
 * and where intervals overlap the one that started later wins (it is the newer statement about the
 * service); when the later one ends the earlier one applies again if it is still running. Two
 * intervals with the same start: the later in the input wins, so pass rows in insertion order.
 * Adjacent segments with the same status are merged.
 */
export function flattenIntervals(intervals: readonly StatusInterval[], now: Date): StatusSegment[] {
  const nowMs = now.getTime();
  const spans = intervals
    .map((iv, order) => ({
      status: iv.status,
      start: iv.start.getTime(),
      end: Math.min(iv.end === null ? nowMs : iv.end.getTime(), nowMs),
      order,
    }))
    .filter((s) => Number.isFinite(s.start) && Number.isFinite(s.end) && s.end > s.start)
    .sort((a, b) => a.start - b.start || a.order - b.order);

  const boundaries = [...new Set(spans.flatMap((s) => [s.start, s.end]))].sort((a, b) => a - b);
  const out: StatusSegment[] = [];
  let active: typeof spans = [];
  let next = 0;
  for (let i = 0; i + 1 < boundaries.length; i++) {
    const from = boundaries[i]!;
    const to = boundaries[i + 1]!;
    while (next < spans.length && spans[next]!.start <= from) active.push(spans[next++]!);
    active = active.filter((s) => s.end > from);
    // `active` keeps the sorted order, so its last element is the latest start.
    const winner = active.at(-1);
    if (!winner) continue;
    const last = out.at(-1);
    if (last && last.status === winner.status && last.end.getTime() === from) last.end = new Date(to);
    else out.push({ status: winner.status, start: new Date(from), end: new Date(to) });
  }
  return out;
}

export function emptySeconds(): Record<ServiceStatus, number> {
  return Object.fromEntries(SERVICE_STATUSES.map((s) => [s, 0])) as Record<ServiceStatus, number>;
}

/** Seconds spent in each status within [from, to). */
export function secondsByStatus(segments: readonly StatusSegment[], from: number, to: number): Record<ServiceStatus, number> {
  const seconds = emptySeconds();
  for (const seg of segments) {
    const overlap = Math.min(seg.end.getTime(), to) - Math.max(seg.start.getTime(), from);
    if (overlap > 0) seconds[seg.status] += overlap / 1000;
  }
  return seconds;
}

/** Adds up per-day figures, for the "last 30 / 90 days" uptime of pre-aggregated days. */
export function sumSeconds(list: readonly Record<ServiceStatus, number>[]): Record<ServiceStatus, number> {
  const total = emptySeconds();
  for (const seconds of list) for (const s of SERVICE_STATUSES) total[s] += seconds[s] ?? 0;
  return total;
}

function observedSeconds(seconds: Record<ServiceStatus, number>): number {
  return SERVICE_STATUSES.reduce((sum, s) => sum + seconds[s], 0);
}

/**
 * 1 − (major + 0.3 · partial) / observed. Degraded performance and maintenance count as up, as on
 * Statuspage; time without data is left out rather than counted as up or down. null with no data.
 */
export function uptimeRatio(seconds: Record<ServiceStatus, number>): number | null {
  const observed = observedSeconds(seconds);
  if (observed <= 0) return null;
  return 1 - (seconds.major_outage + PARTIAL_OUTAGE_WEIGHT * seconds.partial_outage) / observed;
}

/**
 * The colour of a day. The worst level whose time — together with the time spent in worse
 * statuses — reaches the threshold: LEVEL_MIN_SECONDS, or half of the observed time when less than
 * ten minutes are observed (a day that began a few minutes ago, or a service created at 23:58), so
 * a short span is coloured by what mostly happened in it.
 * Cumulating worse statuses means 4 min degraded + 4 min partial + 4 min major is a partial day,
 * not a green one. Maintenance is judged on its own: it is planned, so it neither adds to trouble
 * nor can hide it.
 */
export function dayLevel(seconds: Record<ServiceStatus, number>): DayLevel {
  const observed = observedSeconds(seconds);
  if (observed <= 0) return 'nodata';
  const threshold = Math.min(LEVEL_MIN_SECONDS, observed / 2);
  const major = seconds.major_outage;
  const partialOrWorse = major + seconds.partial_outage;
  const degradedOrWorse = partialOrWorse + seconds.degraded_performance;
  if (major >= threshold) return 'major';
  if (partialOrWorse >= threshold) return 'partial';
  if (degradedOrWorse >= threshold) return 'degraded';
  if (seconds.under_maintenance >= threshold) return 'maintenance';
  return 'operational';
}

export type DailyBarsOptions = { days: number; now: Date; timeZone: string };

/** A bar's span: a local calendar day, or today up to `now`. */
export type DayWindow = { date: string; start: Date; end: Date };

/**
 * The spans of the last `days` local calendar days, oldest first, the last being today up to `now`. Days run
 * from local midnight to local midnight, so the DST days are 23 and 25 hours long.
 */
export function dayWindows({ days, now, timeZone }: DailyBarsOptions): DayWindow[] {
  if (!Number.isInteger(days) || days < 1) throw new RangeError(`days must be a positive integer, got ${days}`);
  const today = zonedParts(now, timeZone);
  // From the calendar fields, not by stepping a Date: the midnight of each day is computed on its own.
  const midnight = (offset: number) => localMidnight(timeZone, today.year, today.month, today.day + offset);
  const windows: DayWindow[] = [];
  for (let k = days - 1; k >= 0; k--) {
    const start = midnight(-k);
    windows.push({ date: start.date, start: new Date(start.ms), end: k === 0 ? now : new Date(midnight(-k + 1).ms) });
  }
  return windows;
}

/**
 * A zone's midnight of a calendar day never changes, and finding it takes several Intl calls: every page with
 * bars asks for the same ~90, so they are remembered (a few thousand entries at most: the map is emptied past that).
 */
const midnights = new BoundedMemo<{ date: string; ms: number }>(5_000);

function localMidnight(timeZone: string, year: number, month: number, day: number): { date: string; ms: number } {
  // Normalise overflowing days (day 0, day -40) into a real calendar date first: it is the cache key.
  const calendar = new Date(0);
  calendar.setUTCFullYear(year, month - 1, day);
  const y = calendar.getUTCFullYear();
  const m = calendar.getUTCMonth() + 1;
  const d = calendar.getUTCDate();
  const key = `${timeZone}|${y}-${m}-${d}`;
  const known = midnights.get(key);
  if (known) return known;
  const start = zonedTimeToUtc(timeZone, y, m, d);
  return midnights.remember(key, { date: zonedDateKey(start, timeZone), ms: start.getTime() });
}

/** A day's bar from the seconds spent in each status during it (measured live or pre-aggregated). */
export function barFromSeconds(window: DayWindow, seconds: Record<ServiceStatus, number>): DayBar {
  const observed = observedSeconds(seconds);
  return {
    ...window,
    seconds,
    noDataSeconds: Math.max(0, (window.end.getTime() - window.start.getTime()) / 1000 - observed),
    uptime: uptimeRatio(seconds),
    level: dayLevel(seconds),
  };
}

/** One bar per local calendar day (see `dayWindows`), measured directly from the status history. */
export function dailyUptimeBars(intervals: readonly StatusInterval[], options: DailyBarsOptions): DayBar[] {
  const windows = dayWindows(options);
  const segments = flattenIntervals(intervals, options.now);
  return windows.map((w) => barFromSeconds(w, secondsByStatus(segments, w.start.getTime(), w.end.getTime())));
}

/**
 * Uptime over [from, to), for the "last 30 / 90 days" figures, with the same weighting as the bars.
 * Open intervals run until `now` (default `to`); nothing after `now` is counted. null without data.
 */
export function uptimeOverPeriod(
  intervals: readonly StatusInterval[],
  period: { from: Date; to: Date; now?: Date },
): number | null {
  const now = period.now ?? period.to;
  const to = Math.min(period.to.getTime(), now.getTime());
  return uptimeRatio(secondsByStatus(flattenIntervals(intervals, now), period.from.getTime(), to));
}
