/**
 * What the public cache needs to know from the database, and nothing more:
 *
 * - `readContentVersion`: the counter the database bumps at the commit of any public write (triggers in
 *   db/migrations/0005_content_triggers.sql, NOTIFY on `CONTENT_CHANNEL`). Equal numbers mean nothing a public
 *   page shows was written in between.
 * - `nextTimeDrivenChange`: the next instant at which a page changes although nobody writes (a promised update
 *   becoming overdue, a maintenance window or a temporary service starting or ending, the "ongoing for" duration
 *   of an open incident ticking, a new day in the uptime bars). A cached page is kept until then at most.
 */
import { and, eq, gt, isNull, or, sql } from 'drizzle-orm';
import { contentVersion, incidents, maintenances, services } from '../../db/schema/index.ts';
import { addZonedDays, startOfZonedDay } from '../domain/time.ts';
import type { Ctx } from './context.ts';

export const CONTENT_CHANNEL = 'vedetta_content';

export async function readContentVersion(ctx: Ctx): Promise<number> {
  const [row] = await ctx.db.select({ version: contentVersion.version }).from(contentVersion).where(eq(contentVersion.id, 1));
  return row?.version ?? 0;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

export async function nextTimeDrivenChange(ctx: Ctx): Promise<Date> {
  const now = ctx.now();
  const [open, windows, temporary] = await Promise.all([
    ctx.db
      .select({
        startedAt: incidents.startedAt,
        nextUpdateBy: incidents.nextUpdateBy,
      })
      .from(incidents)
      .where(isNull(incidents.resolvedAt)),
    ctx.db
      .select({
        start: maintenances.scheduledStart,
        end: maintenances.scheduledEnd,
      })
      .from(maintenances)
      .where(and(sql`${maintenances.status} <> 'completed'`, gt(maintenances.scheduledEnd, now))),
    ctx.db
      .select({ from: services.availableFrom, until: services.availableUntil })
      .from(services)
      .where(or(gt(services.availableFrom, now), gt(services.availableUntil, now))),
  ]);
  // A new day starts a new uptime bar and moves "today" in every date label.
  const candidates: Date[] = [addZonedDays(startOfZonedDay(now, ctx.timeZone), 1, ctx.timeZone)];
  for (const incident of open) {
    // isOverdue is strictly after the promise: the first overdue instant is one millisecond later.
    if (incident.nextUpdateBy) candidates.push(new Date(incident.nextUpdateBy.getTime() + 1));
    candidates.push(nextDurationTick(incident.startedAt, now));
  }
  for (const w of windows) candidates.push(w.start, w.end);
  for (const s of temporary) candidates.push(...[s.from, s.until].filter((d): d is Date => d !== null));
  const future = candidates.filter((d) => d.getTime() > now.getTime()).map((d) => d.getTime());
  return new Date(Math.min(...future));
}

/**
 * When "ongoing for" (formatDuration: rounded minutes under a day, rounded hours above) next shows another
 * figure: the rounding flips half-way through each unit.
 */
function nextDurationTick(startedAt: Date, now: Date): Date {
  const elapsed = now.getTime() - startedAt.getTime();
  const unit = elapsed < DAY ? MINUTE : HOUR;
  const half = unit / 2;
  const next = startedAt.getTime() + (Math.floor((elapsed - half) / unit) + 1) * unit + half;
  return new Date(Math.max(next, now.getTime() + 1));
}
