/**
 * Daily uptime for the pages, from pre-aggregated days.
 *
 * A closed local day's figures (seconds per status) are stored once in `service_daily_uptime`, per page time
 * zone; today is measured live from the intervals running since local midnight. A day missing from the table
 * (never computed, or forgotten because a status change touched it — see migration 0003) is recomputed from
 * `status_intervals` and stored again, so a page reads about 90 rows per service however long the history is.
 * Results equal `dailyUptimeBars` over the full history: see tests/integration/uptime-aggregate.test.ts.
 */
import { and, asc, eq, gte, inArray, isNull, lte, or, sql } from 'drizzle-orm';
import { serviceDailyUptime, services, statusIntervals } from '../../db/schema/index.ts';
import {
  type DayWindow,
  type StatusInterval,
  dayWindows,
  flattenIntervals,
  secondsByStatus,
} from '../domain/uptime.ts';
import type { ServiceStatus } from '../domain/vocab.ts';
import { type Ctx, inTransaction } from './context.ts';
import { type HistoryVersion, sinceHistoryChange } from './history.ts';

export type Seconds = Record<ServiceStatus, number>;

export type ServiceUptimeDays = {
  /** Seconds per status for each window, aligned with `windows`. */
  days: Seconds[];
  /** The current status interval, if any. */
  open: StatusInterval | undefined;
};

export type UptimeDays = { windows: DayWindow[]; byService: Map<string, ServiceUptimeDays> };

/** Status intervals touching [from, now], grouped by service, oldest start first. */
async function loadIntervals(ctx: Ctx, serviceIds: string[], from: Date) {
  const byService = new Map<string, StatusInterval[]>();
  if (serviceIds.length === 0) return byService;
  const rows = await ctx.db
    .select({
      serviceId: statusIntervals.serviceId,
      status: statusIntervals.status,
      startedAt: statusIntervals.startedAt,
      endedAt: statusIntervals.endedAt,
    })
    .from(statusIntervals)
    .where(
      and(
        inArray(statusIntervals.serviceId, serviceIds),
        or(isNull(statusIntervals.endedAt), gte(statusIntervals.endedAt, from)),
      ),
    )
    .orderBy(asc(statusIntervals.startedAt));
  for (const r of rows) {
    const list = byService.get(r.serviceId) ?? [];
    list.push({ status: r.status, start: r.startedAt, end: r.endedAt });
    byService.set(r.serviceId, list);
  }
  return byService;
}

/**
 * The last `days` local days of each service: stored figures for closed days, live ones for today. With `history`
 * (read first, see src/services/history.ts) a complete set of closed days is kept until the history changes.
 */
export async function uptimeDays(ctx: Ctx, requestedIds: string[], days: number, history: HistoryVersion): Promise<UptimeDays> {
  // Callers pass the services of several incidents, which may repeat; one upsert must not touch a row twice.
  const serviceIds = [...new Set(requestedIds)];
  const now = ctx.now();
  const windows = dayWindows({ days, now, timeZone: ctx.timeZone });
  const closed = windows.slice(0, -1);
  const today = windows.at(-1)!;
  const stored = await sinceHistoryChange(
    ctx,
    history,
    `days ${ctx.timeZone} ${closed[0]?.date} ${closed.at(-1)?.date} ${serviceIds.join(' ')}`,
    () => loadStoredDays(ctx, serviceIds, closed),
    (found) => serviceIds.every((id) => found.get(id)?.size === closed.length),
  );

  const missing = (id: string) => closed.filter((w) => !stored.get(id)?.has(w.date));
  const incomplete = serviceIds.filter((id) => missing(id).length > 0);
  const computed = new Map<string, Map<string, Seconds>>();
  let intervals: Map<string, StatusInterval[]>;
  if (incomplete.length === 0) {
    intervals = await loadIntervals(ctx, serviceIds, today.start);
  } else {
    const from = new Date(Math.min(...incomplete.map((id) => missing(id)[0]!.start.getTime())));
    intervals = await inTransaction(ctx, async (tx) => {
      // FOR SHARE holds off status changes on these services (the trigger locks the row FOR NO KEY UPDATE) until
      // the recomputed days are stored, so no day is stored from stale history. A service whose row is locked
      // right now has a change in flight: its days are computed for this page but not stored (SKIP LOCKED: a
      // reader never waits on a writer, and two of them cannot deadlock).
      const lockedRows = await tx.db
        .select({ id: services.id })
        .from(services)
        .where(inArray(services.id, incomplete))
        .for('share', { skipLocked: true });
      const storable = new Set(lockedRows.map((r) => r.id));
      const fresh = await loadIntervals(tx, serviceIds, from);
      const rows: (typeof serviceDailyUptime.$inferInsert)[] = [];
      for (const id of incomplete) {
        const segments = flattenIntervals(fresh.get(id) ?? [], now);
        const mine = new Map<string, Seconds>();
        for (const w of missing(id)) {
          const seconds = secondsByStatus(segments, w.start.getTime(), w.end.getTime());
          mine.set(w.date, seconds);
          if (storable.has(id)) rows.push({ serviceId: id, timeZone: tx.timeZone, day: w.date, dayStart: w.start, dayEnd: w.end, seconds });
        }
        computed.set(id, mine);
      }
      await storeDays(tx, rows);
      return fresh;
    });
  }

  const byService = new Map<string, ServiceUptimeDays>();
  for (const id of serviceIds) {
    const history = intervals.get(id) ?? [];
    const segments = flattenIntervals(history, now);
    const todaySeconds = secondsByStatus(segments, today.start.getTime(), today.end.getTime());
    const known = stored.get(id);
    const fresh = computed.get(id);
    byService.set(id, {
      days: [...closed.map((w) => known?.get(w.date) ?? fresh!.get(w.date)!), todaySeconds],
      open: history.find((i) => i.end === null),
    });
  }
  return { windows, byService };
}

/** Stored closed days per service, keyed by date; a row whose span no longer matches its day is ignored. */
async function loadStoredDays(ctx: Ctx, serviceIds: string[], closed: DayWindow[]) {
  const byService = new Map<string, Map<string, Seconds>>();
  if (serviceIds.length === 0 || closed.length === 0) return byService;
  const spans = new Map(closed.map((w) => [w.date, w]));
  const t = serviceDailyUptime;
  // One JSON array per service rather than ~90 rows: turning rows into objects is most of the cost of this read
  // on PGlite (measured: 2-3 times faster for 7 services).
  const rows = await ctx.db
    .select({
      serviceId: t.serviceId,
      days: sql<[string, number, number, Seconds][]>`json_agg(json_build_array(
        ${t.day}, extract(epoch from ${t.dayStart}) * 1000, extract(epoch from ${t.dayEnd}) * 1000, ${t.seconds}))`,
    })
    .from(t)
    .where(
      and(
        inArray(t.serviceId, serviceIds),
        eq(t.timeZone, ctx.timeZone),
        gte(t.day, closed[0]!.date),
        lte(t.day, closed.at(-1)!.date),
      ),
    )
    .groupBy(t.serviceId);
  for (const r of rows) {
    const map = new Map<string, Seconds>();
    for (const [day, start, end, seconds] of r.days) {
      const w = spans.get(day);
      // The zone's rules changed since the row was written (a tz database update): measure the day again.
      if (!w || w.start.getTime() !== Number(start) || w.end.getTime() !== Number(end)) continue;
      map.set(day, seconds);
    }
    byService.set(r.serviceId, map);
  }
  return byService;
}

async function storeDays(ctx: Ctx, rows: (typeof serviceDailyUptime.$inferInsert)[]) {
  // One statement per chunk keeps the parameter count well under PostgreSQL's 65,535.
  for (let i = 0; i < rows.length; i += 500) {
    await ctx.db
      .insert(serviceDailyUptime)
      .values(rows.slice(i, i + 500))
      .onConflictDoUpdate({
        target: [serviceDailyUptime.serviceId, serviceDailyUptime.timeZone, serviceDailyUptime.day],
        set: {
          dayStart: sql`excluded.day_start`,
          dayEnd: sql`excluded.day_end`,
          seconds: sql`excluded.seconds`,
        },
      });
  }
}
