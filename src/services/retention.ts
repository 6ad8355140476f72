/**
 * Rows that are only kept for a while. Each table here grows with time or traffic, and nothing reads its old rows:
 *   - `heartbeat_minutes`: one row per service and minute a monitor reported (1,440 a day per service), never read
 *     by a page (uptime comes from `status_intervals` and `service_daily_uptime`); kept as long as the uptime bars
 *     reach back, for an operator checking when a monitor went quiet;
 *   - `outbox`: finished work (state `done`). Its unique (kind, subject) only guards against enqueuing the same
 *     work twice around a crash, minutes after the change; `dead` rows stay until someone looks at them;
 *   - `inbound_webhooks`: ids of provider events already handled, one per delivered or bounced e-mail. The provider
 *     gives up retrying within days;
 *   - `webhook_deliveries` that ended (delivered or failed): the delivery log an operator reads in the console.
 * Not pruned: `email_messages` (who was told what: the per-update counts and bounces in the console),
 * `service_daily_uptime` (a few rows per service and day), audit records.
 *
 * The scheduler runs this every 10 minutes in every instance; deleting a row another instance deleted first is a
 * no-op. Deletes go in batches of BATCH_ROWS rows, each through an index: a first run on a long backlog holds
 * no long lock, and on PGlite, which runs in the server's own event loop, readers are answered between batches.
 */
import { and, eq, inArray, lt, type SQL, sql } from 'drizzle-orm';
import type { PgTable } from 'drizzle-orm/pg-core';
import {
  heartbeatMinutes,
  inboundWebhooks,
  outbox,
  services,
  webhookDeliveries,
  webhookEndpoints,
} from '../../db/schema/index.ts';
import type { Ctx } from './context.ts';

const DAY_MS = 24 * 60 * 60 * 1000;

export const RETENTION_DAYS = {
  heartbeatMinutes: 90,
  finishedOutbox: 30,
  inboundWebhooks: 30,
  finishedWebhookDeliveries: 30,
} as const;

// One batch of heartbeat minutes took 11-16 ms on PGlite with the large data set: the longest a reader waits.
const BATCH_ROWS = 1_000;

export type PruneCounts = Record<keyof typeof RETENTION_DAYS, number>;

export async function pruneExpiredRecords(ctx: Ctx): Promise<PruneCounts> {
  const now = ctx.now().getTime();
  const before = (days: number) => new Date(now - days * DAY_MS);
  const counts: PruneCounts = { heartbeatMinutes: 0, finishedOutbox: 0, inboundWebhooks: 0, finishedWebhookDeliveries: 0 };

  // Per service and per endpoint: the leading column of the primary key / index makes each a range scan.
  for (const { id } of await ctx.db.select({ id: services.id }).from(services)) {
    counts.heartbeatMinutes += await deleteInBatches(
      ctx,
      heartbeatMinutes,
      and(eq(heartbeatMinutes.serviceId, id), lt(heartbeatMinutes.minute, before(RETENTION_DAYS.heartbeatMinutes)))!,
    );
  }
  counts.finishedOutbox = await deleteInBatches(
    ctx,
    outbox,
    and(lt(outbox.doneAt, before(RETENTION_DAYS.finishedOutbox)), eq(outbox.state, 'done'))!,
  );
  counts.inboundWebhooks = await deleteInBatches(
    ctx,
    inboundWebhooks,
    lt(inboundWebhooks.receivedAt, before(RETENTION_DAYS.inboundWebhooks)),
  );
  for (const { id } of await ctx.db.select({ id: webhookEndpoints.id }).from(webhookEndpoints)) {
    counts.finishedWebhookDeliveries += await deleteInBatches(
      ctx,
      webhookDeliveries,
      and(
        eq(webhookDeliveries.endpointId, id),
        lt(webhookDeliveries.createdAt, before(RETENTION_DAYS.finishedWebhookDeliveries)),
        inArray(webhookDeliveries.state, ['delivered', 'failed']),
      )!,
    );
  }
  return counts;
}

/** Deletes the rows matching `where`, BATCH_ROWS per statement, until none is left; returns how many went. */
async function deleteInBatches(ctx: Ctx, table: PgTable, where: SQL): Promise<number> {
  let total = 0;
  for (;;) {
    // PostgreSQL's DELETE has no LIMIT: pick a batch by physical row id.
    const gone = await ctx.db
      .delete(table)
      .where(sql`ctid = any(array(select ctid from ${table} where ${where} limit ${BATCH_ROWS}))`)
      .returning({ one: sql<number>`1` });
    total += gone.length;
    if (gone.length < BATCH_ROWS) return total;
  }
}
