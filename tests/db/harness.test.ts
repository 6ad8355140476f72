/**
 * The test database harness itself (tests/support/db.ts): every test starts from the migrated, empty
 * database whatever the previous one wrote, and a failure inside the rolled-back transaction still fails.
 */
import { eq, sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import type { Db } from '../../db/client.ts';
import { services } from '../../db/schema/index.ts';
import { dbTest, useTestDatabase } from '../support/db.ts';

const KEY = 'harness-probe';

async function probeRows(db: Db) {
  return db.select().from(services).where(eq(services.key, KEY));
}

describe('useTestDatabase().run', () => {
  const t = useTestDatabase();

  // The two tests below run in order: the second sees nothing of what the first wrote.
  it('writes a row inside the test transaction', () =>
    t.run(async (ctx) => {
      await ctx.db.insert(services).values({ key: KEY, name: { it: 'Sonda' } });
      expect(await probeRows(ctx.db)).toHaveLength(1);
    }));

  it('starts the next test without it', () =>
    t.run(async (ctx) => {
      expect(await probeRows(ctx.db)).toHaveLength(0);
    }));

  it('rolls back even when nothing failed, and returns the body’s value', async () => {
    const id = await t.run(async (ctx) => {
      const [row] = await ctx.db.insert(services).values({ key: KEY, name: { it: 'Sonda' } }).returning();
      return row!.id;
    });
    expect(id).toMatch(/^[a-z0-9]{12}$/);
    expect(await probeRows(t.db)).toHaveLength(0);
  });

  it('rethrows an assertion failure from inside the transaction unchanged', async () => {
    const failing = t.run(async (ctx) => {
      await ctx.db.insert(services).values({ key: KEY, name: { it: 'Sonda' } });
      expect('written').toBe('something else');
    });
    await expect(failing).rejects.toThrow(/expected 'written' to be 'something else'/);
    await expect(failing).rejects.toHaveProperty('name', 'AssertionError');
    // ...and it was rolled back too.
    expect(await probeRows(t.db)).toHaveLength(0);
  });

  it('rethrows a database error and leaves the database usable', async () => {
    const failing = t.run(async (ctx) => {
      await ctx.db.execute(sql`select * from no_such_table`);
    });
    await expect(failing).rejects.toThrow(/no_such_table/);
    await t.run(async (ctx) => {
      expect(await probeRows(ctx.db)).toHaveLength(0);
    });
  });

  it('supports nested transactions (savepoints) inside the test transaction', () =>
    t.run(async (ctx) => {
      await ctx.db.insert(services).values({ key: KEY, name: { it: 'Sonda' } });
      const duplicate = ctx.db.transaction(async (tx) => {
        await tx.insert(services).values({ key: KEY, name: { it: 'Doppione' } });
      });
      await expect(duplicate).rejects.toThrow();
      // The failed savepoint did not abort the test's transaction.
      expect(await probeRows(ctx.db)).toHaveLength(1);
    }));

  it('hands a service context with a frozen, movable clock', () =>
    t.run(
      async (ctx) => {
        expect(ctx.now().toISOString()).toBe('2026-03-10T08:00:00.000Z');
        ctx.clock.advance(90_000);
        expect(ctx.now().toISOString()).toBe('2026-03-10T08:01:30.000Z');
        expect(ctx.actor).toEqual({ kind: 'operator', id: 'harness' });
        expect(ctx.timeZone).toBe('Europe/Rome');
      },
      { now: '2026-03-10T08:00:00Z', actor: { kind: 'operator', id: 'harness' } as never },
    ));

  it('reports which engine it runs on', () => {
    expect(t.kind).toBe(process.env.TEST_DATABASE_URL ? 'postgres' : 'pglite');
  });
});

describe('dbTest fixtures', () => {
  dbTest('db is the test transaction', async ({ db, ctx }) => {
    expect(ctx.db).toBe(db);
    await db.insert(services).values({ key: KEY, name: { it: 'Sonda' } });
    expect(await probeRows(db)).toHaveLength(1);
  });

  dbTest('the next test does not see the previous one’s rows', async ({ db }) => {
    expect(await probeRows(db)).toHaveLength(0);
  });

  describe('with ctxOptions overridden', () => {
    dbTest.override('ctxOptions', { now: '2030-01-01T00:00:00Z' });
    dbTest('ctx uses them', ({ ctx }) => {
      expect(ctx.now().toISOString()).toBe('2030-01-01T00:00:00.000Z');
    });
  });
});
