/**
 * A migrated database per test FILE and a rolled-back transaction per TEST, on PGlite by default or on the
 * PostgreSQL server named by TEST_DATABASE_URL (each file then gets its own `vedetta_test_<random>`
 * database, dropped afterwards). The same tests run unchanged on both engines.
 *
 * Two ways to use it:
 *
 *   // 1. hooks: one database for the enclosing describe (or file)
 *   const t = useTestDatabase();
 *   it('creates an incident', () =>
 *     t.run(async (ctx) => {
 *       const created = await createIncident(ctx, { ... });
 *       expect(created.status).toBe('investigating');
 *     }));
 *
 *   // 2. fixtures: `db` and `ctx` are inside the test's transaction
 *   import { dbTest as test } from '../support/db.ts';
 *   test('creates an incident', async ({ ctx }) => { ... });
 *
 * Rules that follow from one transaction per test:
 * - Use only the `ctx`/`db` you are handed. The file-level `t.db` is outside the transaction: on PGlite a
 *   query on it while a test's transaction is open waits forever (PGlite runs one transaction at a time); on
 *   PostgreSQL it would not see the test's rows. It is there for `beforeAll` data only (which is NOT rolled
 *   back).
 * - A statement that fails (unique violation, ...) aborts the whole transaction. To assert on a database
 *   error, run it in a nested `ctx.db.transaction(...)` (a savepoint) — services using `inTransaction` do so.
 * - Do not call `rollback()` on the test's own transaction.
 * - No seeded ids: make rows with factories that pick unique values.
 */
import { readFile } from 'node:fs/promises';
import { PGlite } from '@electric-sql/pglite';
import { drizzle } from 'drizzle-orm/pglite';
import { afterAll, beforeAll, inject, test as base } from 'vitest';
import { type Database, type Db, foldQueryParsers, openDatabase } from '../../db/client.ts';
import * as schema from '../../db/schema/index.ts';
import { type Actor, type Ctx, SYSTEM_ACTOR } from '../../src/services/context.ts';
import { MIGRATIONS_DIR } from './paths.ts';
import { createScratchDatabase, testDatabaseUrl } from './pg.ts';

export type Engine = Database['kind'];

/** A clock that stands still unless a test moves it: `ctx.now()` is deterministic within a test. */
export type TestClock = {
  now: () => Date;
  set(at: Date | string): void;
  advance(ms: number): void;
};

export function testClock(start: Date | string = new Date()): TestClock {
  let current = new Date(start).getTime();
  return {
    now: () => new Date(current),
    set: (at) => {
      current = new Date(at).getTime();
    },
    advance: (ms) => {
      current += ms;
    },
  };
}

/** The service context handed to a test, plus the clock behind `now`. */
export type TestCtx = Ctx & { clock: TestClock };

export type CtxOptions = {
  actor?: Actor;
  /** Starting time of the clock (default: the real time when the test starts, then frozen). */
  now?: Date | string;
  timeZone?: string;
  siteUrl?: string;
};

export function makeCtx(db: Db, opts: CtxOptions = {}): TestCtx {
  const clock = testClock(opts.now);
  return {
    db,
    now: clock.now,
    clock,
    actor: opts.actor ?? SYSTEM_ACTOR,
    timeZone: opts.timeZone ?? 'Europe/Rome',
    siteUrl: opts.siteUrl ?? 'http://localhost:4321',
  };
}

/** A migrated database of its own, and how to get rid of it. */
export type FileDatabase = { db: Db; kind: Engine; listen: Database['listen']; close(): Promise<void> };

/** Creates the file's database: a copy of the migrated PGlite snapshot, or a new database on the server. */
export async function createFileDatabase(): Promise<FileDatabase> {
  const serverUrl = testDatabaseUrl();
  if (serverUrl) {
    const scratch = await createScratchDatabase(serverUrl, 'test');
    try {
      const database = await openDatabase({ databaseUrl: scratch.url });
      await database.migrate(MIGRATIONS_DIR);
      return {
        db: database.db,
        kind: database.kind,
        listen: database.listen,
        async close() {
          await database.close();
          await scratch.drop();
        },
      };
    } catch (error) {
      await scratch.drop();
      throw error;
    }
  }
  const snapshot = safeInject('pgliteSnapshot');
  if (!snapshot) {
    // Run outside the `db` project's globalSetup: migrate from scratch (slower, same result).
    const database = await openDatabase({});
    await database.migrate(MIGRATIONS_DIR);
    return { db: database.db, kind: database.kind, listen: database.listen, close: () => database.close() };
  }
  // The same drizzle setup as db/client.ts; openDatabase has no way to start from a dump.
  const client = await PGlite.create({ loadDataDir: new Blob([await readFile(snapshot)]) });
  foldQueryParsers(client);
  return {
    db: drizzle(client, { schema }) as unknown as Db,
    kind: 'pglite',
    listen: (channel, onPayload) => client.listen(channel, onPayload),
    close: () => client.close(),
  };
}

function safeInject(key: 'pgliteSnapshot'): string | undefined {
  try {
    return inject(key) || undefined;
  } catch {
    return undefined;
  }
}

class TestRollback extends Error {
  constructor() {
    super('rolled back at the end of the test');
    this.name = 'TestRollback';
  }
}

/**
 * Runs `fn` in a transaction that is always rolled back. Whatever `fn` throws (an assertion, a service
 * error) is rethrown unchanged; only the deliberate rollback is swallowed.
 */
export async function inRolledBackTransaction<T>(db: Db, fn: (tx: Db) => Promise<T>): Promise<T> {
  let outcome: { value: T } | undefined;
  const rollback = new TestRollback();
  try {
    await db.transaction(async (tx) => {
      const value = await fn(tx as unknown as Db);
      outcome = { value };
      throw rollback;
    });
  } catch (error) {
    if (error !== rollback) throw error;
  }
  if (!outcome) throw new Error('the test transaction ended without running its body');
  return outcome.value;
}

export type TestDatabase = {
  /** The file's database, OUTSIDE any test transaction (see the rules at the top). */
  readonly db: Db;
  readonly kind: Engine;
  /** LISTEN on the file's database (PGlite in-process, or a connection of its own on PostgreSQL). */
  listen: Database['listen'];
  /** Runs `fn` with a service context on a transaction that is rolled back afterwards. */
  run<T>(fn: (ctx: TestCtx) => Promise<T>, opts?: CtxOptions): Promise<T>;
};

/** Registers beforeAll/afterAll hooks in the enclosing describe (or file) and returns its database. */
export function useTestDatabase(): TestDatabase {
  let file: FileDatabase | undefined;
  beforeAll(async () => {
    file = await createFileDatabase();
  });
  afterAll(async () => {
    await file?.close();
    file = undefined;
  });
  const current = () => {
    if (!file) throw new Error('useTestDatabase(): the database exists only inside tests and hooks');
    return file;
  };
  return {
    get db() {
      return current().db;
    },
    get kind() {
      return current().kind;
    },
    listen: (channel, onPayload) => current().listen(channel, onPayload),
    run: (fn, opts) => inRolledBackTransaction(current().db, (tx) => fn(makeCtx(tx, opts))),
  };
}

/**
 * Fixture style: `database` is created once per file; `db` (the test's transaction) and `ctx` (a service
 * context on it, system actor, frozen clock) per test. Override the context with
 * `test.override('ctxOptions', { actor: ... })` in a describe.
 */
export const dbTest = base
  .extend('database', { scope: 'file' }, async ({}, { onCleanup }) => {
    const database = await createFileDatabase();
    onCleanup(() => database.close());
    return database;
  })
  .extend('ctxOptions', {} as CtxOptions)
  .extend('db', async ({ database }, { onCleanup }) => {
    // The fixture must hand over the transaction and keep it open until the test is done, so the
    // transaction body waits for the cleanup signal; the test's own failure is reported by vitest as usual.
    let release!: () => void;
    const done = new Promise<void>((resolve) => (release = resolve));
    let ready!: (tx: Db) => void;
    const opened = new Promise<Db>((resolve) => (ready = resolve));
    const finished = inRolledBackTransaction(database.db, async (tx) => {
      ready(tx);
      await done;
    });
    const tx = await Promise.race([opened, finished.then(() => never())]);
    onCleanup(async () => {
      release();
      await finished;
    });
    return tx;
  })
  .extend('ctx', ({ db, ctxOptions }) => makeCtx(db, ctxOptions));

function never(): never {
  throw new Error('the test transaction closed before the test started');
}
