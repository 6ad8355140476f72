/** requeueJobs: finished work back in the queue as new, work still pending left alone, any number of subjects. */
import { eq, inArray } from 'drizzle-orm';
import { describe, expect } from 'vitest';
import { outbox } from '../../db/schema/index.ts';
import { requeueJobs } from '../../src/delivery/outbox.ts';
import { uid } from '../integration/factories.ts';
import { dbTest as test } from '../support/db.ts';

describe('requeueJobs', { timeout: 120_000 }, () => {
  test('done and dead rows become due again as new, a pending one keeps its lease, a missing one is added', async ({ ctx }) => {
    const long = new Date(ctx.now().getTime() - 86_400_000);
    const finished = Array.from({ length: 1_500 }, (_, i) => ({
      kind: 'webhook.delivery' as const,
      subjectId: `done-${uid()}`,
      state: i % 2 ? ('done' as const) : ('dead' as const),
      attempts: 5,
      runAt: long,
      lastError: 'HTTP 500',
      doneAt: long,
    }));
    await ctx.db.insert(outbox).values(finished);
    const leased = { kind: 'webhook.delivery' as const, subjectId: `busy-${uid()}`, attempts: 3, runAt: long, lockedBy: 'worker-1', lockedUntil: new Date(ctx.now().getTime() + 60_000) };
    await ctx.db.insert(outbox).values(leased);
    const missing = `new-${uid()}`;

    await requeueJobs(ctx, 'webhook.delivery', [...finished.map((f) => f.subjectId), leased.subjectId, missing]);

    const again = await ctx.db.select().from(outbox).where(inArray(outbox.subjectId, finished.map((f) => f.subjectId)));
    expect(again).toHaveLength(1_500);
    for (const row of again) {
      expect(row).toMatchObject({ state: 'pending', attempts: 0, lastError: null, doneAt: null, lockedBy: null });
      expect(row.runAt).toEqual(ctx.now());
    }
    const [busy] = await ctx.db.select().from(outbox).where(eq(outbox.subjectId, leased.subjectId));
    expect(busy).toMatchObject({ state: 'pending', attempts: 3, lockedBy: 'worker-1', runAt: long });
    const [added] = await ctx.db.select().from(outbox).where(eq(outbox.subjectId, missing));
    expect(added).toMatchObject({ kind: 'webhook.delivery', state: 'pending', attempts: 0 });
  });
});
