/**
 * Maintenance reminders: a fan-out `reminder:<maintenanceId>` shortly (REMINDER_MINUTES, default 60) before a
 * scheduled window starts, for windows whose "notify" is on. The unique fan-out key makes the job
 * idempotent, so every scheduler of every instance may run it on every tick.
 */
import { and, desc, eq, gt, inArray, lte } from 'drizzle-orm';
import { emailFanouts, events, maintenanceServices, maintenances, services } from '../../db/schema/index.ts';
import { type Ctx, inTransaction } from '../services/context.ts';
import { enqueueJob } from './outbox.ts';

export const DEFAULT_REMINDER_MINUTES = 60;

export async function scheduleReminders(ctx: Ctx, opts: { minutes?: number } = {}): Promise<string[]> {
  const leadMs = (opts.minutes ?? DEFAULT_REMINDER_MINUTES) * 60_000;
  const now = ctx.now();
  const due = await ctx.db
    .select({ id: maintenances.id, scheduledStart: maintenances.scheduledStart })
    .from(maintenances)
    .where(
      and(
        eq(maintenances.status, 'scheduled'),
        eq(maintenances.notify, true),
        gt(maintenances.scheduledStart, now),
        lte(maintenances.scheduledStart, new Date(now.getTime() + leadMs)),
      ),
    );
  if (!due.length) return [];
  const created: string[] = [];
  for (const window of due) {
    const made = await inTransaction(ctx, async (tx) => {
      // An announcement e-mailed after the reminder time is itself the reminder.
      const [announced] = await tx.db
        .select({ occurredAt: events.occurredAt })
        .from(events)
        .where(and(eq(events.maintenanceId, window.id), eq(events.type, 'maintenance.scheduled'), eq(events.notify, true)))
        .orderBy(desc(events.occurredAt), desc(events.seq))
        .limit(1);
      if (announced && announced.occurredAt.getTime() > window.scheduledStart.getTime() - leadMs) return false;
      const keys = await tx.db
        .select({ key: services.key })
        .from(maintenanceServices)
        .innerJoin(services, eq(services.id, maintenanceServices.serviceId))
        .where(inArray(maintenanceServices.maintenanceId, [window.id]));
      const [fanout] = await tx.db
        .insert(emailFanouts)
        .values({ key: `reminder:${window.id}`, maintenanceId: window.id, serviceKeys: keys.map((k) => k.key).sort() })
        .onConflictDoNothing({ target: emailFanouts.key })
        .returning({ id: emailFanouts.id });
      if (!fanout) return false;
      await enqueueJob(tx, 'email.fanout', fanout.id);
      return true;
    });
    if (made) created.push(window.id);
  }
  return created;
}
