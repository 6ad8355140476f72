import { eq } from 'drizzle-orm';
import { describe, expect, vi } from 'vitest';
import {
  heartbeatMinutes,
  inboundWebhooks,
  outbox,
  webhookDeliveries,
  webhookEndpoints,
} from '../../../db/schema/index.ts';
import { startScheduler } from '../../../src/app/scheduler.ts';
import { RETENTION_DAYS, pruneExpiredRecords } from '../../../src/services/retention.ts';
import { dbTest as test } from '../../support/db.ts';
import { DAY, SYSTEM_ACTOR, ctxFor, makeService, uid } from './helpers.ts';

const NOW = '2026-06-30T12:00:00Z';
const MINUTE = 60_000;

describe('pruneExpiredRecords', { timeout: 120_000 }, () => {
  test('deletes what is past its retention, batch after batch, and keeps everything else', async ({ db }) => {
    const ctx = ctxFor(db, { actor: SYSTEM_ACTOR, now: NOW });
    const now = ctx.now().getTime();
    const daysAgo = (days: number, extraMs = 0) => new Date(now - days * DAY - extraMs);
    const [a, b] = [await makeService(ctx), await makeService(ctx)];

    // More old minutes than one delete batch takes, on one service; one old minute on the other.
    const oldMinutes = Array.from({ length: 2_500 }, (_, i) => ({
      serviceId: a.id,
      minute: daysAgo(RETENTION_DAYS.heartbeatMinutes, (i + 1) * MINUTE),
    }));
    await ctx.db.insert(heartbeatMinutes).values(oldMinutes);
    await ctx.db.insert(heartbeatMinutes).values([
      { serviceId: b.id, minute: daysAgo(RETENTION_DAYS.heartbeatMinutes + 1) },
      { serviceId: a.id, minute: daysAgo(RETENTION_DAYS.heartbeatMinutes - 1) },
      { serviceId: b.id, minute: daysAgo(0, MINUTE) },
    ]);

    const old = daysAgo(31);
    const recent = daysAgo(29);
    const work = (state: 'pending' | 'done' | 'dead', doneAt: Date | null) => ({
      kind: 'event.dispatch' as const,
      subjectId: uid(),
      state,
      doneAt,
      runAt: old,
    });
    const [oldDone, recentDone, oldDead, oldPending] = await ctx.db
      .insert(outbox)
      .values([work('done', old), work('done', recent), work('dead', null), work('pending', null)])
      .returning();

    await ctx.db.insert(inboundWebhooks).values([
      { id: `msg_old_${uid()}`, source: 'resend', receivedAt: old },
      { id: `msg_recent_${uid()}`, source: 'resend', receivedAt: recent },
    ]);

    const [endpoint] = await ctx.db
      .insert(webhookEndpoints)
      .values({ url: 'https://hooks.example.test/in', secret: 'whsec_x', events: ['*'], ownerEmail: 'ops@example.test' })
      .returning();
    const delivery = (state: 'pending' | 'delivered' | 'failed', createdAt: Date) => ({
      endpointId: endpoint!.id,
      eventId: uid(),
      eventType: 'incident.updated',
      state,
      createdAt,
    });
    await ctx.db
      .insert(webhookDeliveries)
      .values([delivery('delivered', old), delivery('failed', old), delivery('pending', old), delivery('delivered', recent)]);

    expect(await pruneExpiredRecords(ctx)).toEqual({
      heartbeatMinutes: 2_501,
      finishedOutbox: 1,
      inboundWebhooks: 1,
      finishedWebhookDeliveries: 2,
    });

    const minutesLeft = await ctx.db.select().from(heartbeatMinutes);
    expect(minutesLeft.map((m) => m.minute.getTime()).sort()).toEqual(
      [daysAgo(RETENTION_DAYS.heartbeatMinutes - 1), daysAgo(0, MINUTE)].map((d) => d.getTime()).sort(),
    );
    const outboxLeft = (await ctx.db.select({ id: outbox.id }).from(outbox)).map((r) => r.id);
    expect(outboxLeft.sort()).toEqual([recentDone!.id, oldDead!.id, oldPending!.id].sort());
    expect(outboxLeft).not.toContain(oldDone!.id);
    const inboundLeft = await ctx.db.select().from(inboundWebhooks);
    expect(inboundLeft.map((r) => r.id)).toEqual([expect.stringMatching(/^msg_recent_/)]);
    const deliveriesLeft = await ctx.db
      .select({ state: webhookDeliveries.state, createdAt: webhookDeliveries.createdAt })
      .from(webhookDeliveries)
      .where(eq(webhookDeliveries.endpointId, endpoint!.id));
    expect(deliveriesLeft.map((d) => `${d.state} ${d.createdAt.getTime() === old.getTime() ? 'old' : 'recent'}`).sort()).toEqual([
      'delivered recent',
      'pending old',
    ]);

    // A second run (another instance, or the next tick) finds nothing more.
    expect(Object.values(await pruneExpiredRecords(ctx))).toEqual([0, 0, 0, 0]);
  });

  test("the scheduler's pruning job runs it and logs what went", async ({ db }) => {
    const ctx = ctxFor(db, { actor: SYSTEM_ACTOR, now: NOW });
    const svc = await makeService(ctx);
    await ctx.db.insert(heartbeatMinutes).values({
      serviceId: svc.id,
      minute: new Date(ctx.now().getTime() - (RETENTION_DAYS.heartbeatMinutes + 3) * DAY),
    });
    const log = { info: vi.fn(), error: vi.fn() };
    const scheduler = startScheduler({ ctx: (actor) => ({ ...ctx, actor: actor! }) }, { autoStart: false, log });
    const tick = await scheduler.runOnce();
    await scheduler.stop();
    expect(tick.errors).toBe(0);
    expect(await ctx.db.select().from(heartbeatMinutes).where(eq(heartbeatMinutes.serviceId, svc.id))).toEqual([]);
    expect(log.info).toHaveBeenCalledWith('pruned past retention: heartbeatMinutes 1');
  });
});
