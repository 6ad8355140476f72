/**
 * db/client.ts for real: migrations on the engine under test (PGlite, or the server in TEST_DATABASE_URL),
 * and the data-folder lock that keeps two PGlite instances off one folder (always PGlite: it is the embedded
 * engine's own problem).
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { getTableName, is, sql } from 'drizzle-orm';
import { PgTable } from 'drizzle-orm/pg-core';
import { PGlite, type QueryOptions } from '@electric-sql/pglite';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { type Database, DataDirLockedError, type Db, openDatabase } from '../../db/client.ts';
import * as schema from '../../db/schema/index.ts';
import { MIGRATIONS_DIR, ROOT } from '../support/paths.ts';
import { createScratchDatabase, testDatabaseUrl } from '../support/pg.ts';

const schemaTables = Object.values(schema as Record<string, unknown>)
  .filter((value): value is PgTable => is(value, PgTable))
  .map((table) => getTableName(table))
  .sort();

const journal = JSON.parse(readFileSync(join(MIGRATIONS_DIR, 'meta/_journal.json'), 'utf8')) as {
  entries: { tag: string }[];
};

async function rows<T>(db: Db, query: ReturnType<typeof sql>): Promise<T[]> {
  // postgres.js answers with an array of rows, PGlite with { rows }.
  const result = (await db.execute(query)) as unknown;
  return (Array.isArray(result) ? result : (result as { rows: T[] }).rows) as T[];
}

async function publicTables(db: Db): Promise<string[]> {
  const found = await rows<{ table_name: string }>(
    db,
    sql`select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE'`,
  );
  return found.map((r) => r.table_name).sort();
}

async function appliedMigrations(db: Db): Promise<number> {
  const [row] = await rows<{ n: number }>(db, sql`select count(*)::int as n from drizzle.__drizzle_migrations`);
  return row!.n;
}

describe('migrations', () => {
  const serverUrl = testDatabaseUrl();
  const engine = serverUrl ? 'postgres' : 'pglite';
  const cleanups: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  async function open(): Promise<{ database: Database; url?: string }> {
    if (!serverUrl) {
      const database = await openDatabase({});
      cleanups.push(() => database.close());
      return { database };
    }
    const scratch = await createScratchDatabase(serverUrl, 'client');
    cleanups.push(() => scratch.drop());
    const database = await openDatabase({ databaseUrl: scratch.url });
    cleanups.push(() => database.close());
    return { database, url: scratch.url };
  }

  test(`apply to an empty database and create every table of the schema (${engine})`, async () => {
    const { database } = await open();
    expect(database.kind).toBe(engine);
    await database.migrate(MIGRATIONS_DIR);
    expect(await publicTables(database.db)).toEqual(schemaTables);
    expect(await appliedMigrations(database.db)).toBe(journal.entries.length);

    // Booting again on a migrated database changes nothing.
    await database.migrate(MIGRATIONS_DIR);
    expect(await appliedMigrations(database.db)).toBe(journal.entries.length);
  }, 90_000); // a fresh PGlite: 4-9 s on a quiet machine, much more while other suites run

  test.runIf(serverUrl)('instances booting together on an empty server database migrate it once', async () => {
    const { database: first, url } = await open();
    const second = await openDatabase({ databaseUrl: url });
    cleanups.push(() => second.close());
    await Promise.all([first.migrate(MIGRATIONS_DIR), second.migrate(MIGRATIONS_DIR)]);
    expect(await appliedMigrations(first.db)).toBe(journal.entries.length);
    expect(await publicTables(second.db)).toEqual(schemaTables);
  });
});

// Each test opens a PGlite folder (and one spawns a second Node process): seconds each on a busy machine.
describe('PGlite data folder lock', { timeout: 60_000 }, () => {
  // Creating a PGlite data folder takes 6-11 s here, reopening one ~0.5 s: make one, copy it per test.
  let template: string;
  const dirs: string[] = [];
  const open: Database[] = [];
  const children: ChildProcessWithoutNullStreams[] = [];

  beforeAll(async () => {
    template = tempDir();
    const database = await openDatabase({ dataDir: template });
    await database.migrate(MIGRATIONS_DIR);
    await database.db.execute(sql`insert into services (id, key, name) values ('lock-probe', 'lock-probe', '{"it":"Sonda"}')`);
    await database.close();
  }, 120_000);

  afterEach(async () => {
    for (const child of children.splice(0)) child.kill('SIGKILL');
    for (const database of open.splice(0)) await database.close().catch(() => {});
  });

  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  function tempDir(): string {
    const dir = mkdtempSync(join(tmpdir(), 'vedetta-lock-'));
    dirs.push(dir);
    return dir;
  }

  function copyOfTemplate(): string {
    const dir = tempDir();
    cpSync(template, dir, { recursive: true });
    return dir;
  }

  async function openTracked(dataDir: string): Promise<Database> {
    const database = await openDatabase({ dataDir });
    open.push(database);
    return database;
  }

  async function probeCount(db: Db): Promise<number> {
    const [row] = await rows<{ n: number }>(db, sql`select count(*)::int as n from services where key like 'lock-probe%'`);
    return row!.n;
  }

  const lockFile = (dataDir: string) => join(dataDir, 'vedetta.lock');

  test('the buffer cache is 8 MB, given at start: the folder\'s postgresql.conf is left as it was', async () => {
    const dataDir = copyOfTemplate();
    const conf = join(dataDir, 'pglite', 'postgresql.conf');
    const before = readFileSync(conf, 'utf8');
    const database = await openTracked(dataDir);
    const [row] = await rows<{ shared_buffers: string }>(database.db, sql`show shared_buffers`);
    expect(row!.shared_buffers).toBe('8MB');
    expect(readFileSync(conf, 'utf8')).toBe(before);
    expect(before).not.toContain('shared_buffers = 8MB');
  });

  test('every embedded query, inside a transaction too, first awaits the beforeEmbeddedQuery hook', async () => {
    let calls = 0;
    let holding = false;
    const database = await openDatabase({
      beforeEmbeddedQuery: () => {
        calls++;
        // One call in three makes the query wait for a later turn of the event loop, as the server's slicer does.
        if (calls % 3 !== 0) return undefined;
        holding = true;
        return new Promise<void>((resolve) =>
          setImmediate(() => {
            holding = false;
            resolve();
          }),
        );
      },
    });
    try {
      const before = calls;
      const [one] = await rows<{ n: number }>(database.db, sql`select 1 as n`);
      expect(one!.n).toBe(1);
      const afterOne = calls;
      expect(afterOne).toBeGreaterThan(before);
      const sum = await database.db.transaction(async (tx) => {
        const [a] = await rows<{ n: number }>(tx, sql`select 2 as n`);
        const [b] = await rows<{ n: number }>(tx, sql`select 3 as n`);
        return a!.n + b!.n;
      });
      expect(sum).toBe(5);
      // begin, two selects, commit: each through the hook.
      expect(calls - afterOne).toBeGreaterThanOrEqual(4);
      expect(holding).toBe(false);
    } finally {
      await database.close();
    }
  });

  test("drizzle's type parsers are folded into the client: queries reach PGlite without them, timestamps stay text", async () => {
    const seen: (QueryOptions | undefined)[] = [];
    const query = PGlite.prototype.query;
    PGlite.prototype.query = function (this: PGlite, text: string, params?: unknown[], options?: QueryOptions) {
      seen.push(options);
      return query.call(this, text, params, options);
    } as typeof query;
    const database = await openDatabase({});
    try {
      const stamp = sql`select '2026-11-20 15:37:00.123456+00'::timestamptz as at`;
      const [outside] = await rows<{ at: unknown }>(database.db, stamp);
      const [inside] = await database.db.transaction((tx) => rows<{ at: unknown }>(tx, stamp));
      // drizzle's raw queries keep timestamps as PostgreSQL wrote them (PGlite's own parser would make a Date).
      expect(outside!.at).toBe('2026-11-20 15:37:00.123456+00');
      expect(inside!.at).toBe('2026-11-20 15:37:00.123456+00');
      expect(seen.length).toBeGreaterThan(0);
      expect(seen.filter((options) => options?.parsers)).toEqual([]);
    } finally {
      PGlite.prototype.query = query;
      await database.close();
    }
  });

  test('close() releases the lock: the folder opens again with its data', async () => {
    const dataDir = copyOfTemplate();
    const first = await openDatabase({ dataDir });
    expect(readFileSync(lockFile(dataDir), 'utf8').trim()).toBe(String(process.pid));
    await first.close();
    expect(existsSync(lockFile(dataDir))).toBe(false);

    const again = await openTracked(dataDir);
    expect(await probeCount(again.db)).toBe(1);
  });

  test('a stale lock left by a dead process is taken over', async () => {
    const dataDir = copyOfTemplate();
    const deadPid = await pidOfFinishedProcess();
    writeFileSync(lockFile(dataDir), String(deadPid));

    const database = await openTracked(dataDir);
    expect(readFileSync(lockFile(dataDir), 'utf8').trim()).toBe(String(process.pid));
    expect(await probeCount(database.db)).toBe(1);
  });

  test('a folder held by another live process is refused with a clear error; the holder keeps working', async () => {
    const dataDir = copyOfTemplate();
    const holder = await holdInChildProcess(dataDir);
    children.push(holder.child);

    const attempt = openDatabase({ dataDir });
    await expect(attempt).rejects.toBeInstanceOf(DataDirLockedError);
    const error = (await attempt.then(
      () => undefined,
      (e: unknown) => e,
    )) as Error;
    expect(error.name).toBe('DataDirLockedError');
    expect(error.message).toContain(dataDir);
    expect(error.message).toContain(`pid ${holder.child.pid}`);

    // The refused attempt must not have touched the holder's lock or data.
    expect(readFileSync(lockFile(dataDir), 'utf8').trim()).toBe(String(holder.child.pid));
    expect(await holder.ask('count')).toBe('1');
    expect(await holder.ask('insert')).toBe('ok');
    expect(await holder.ask('count')).toBe('2');
    expect(await holder.ask('close')).toBe('closed');
    expect(existsSync(lockFile(dataDir))).toBe(false);

    const after = await openTracked(dataDir);
    expect(await probeCount(after.db)).toBe(2);
  });

  test('a second open in the same process while the first is open is refused; the first keeps working', async () => {
    const dataDir = copyOfTemplate();
    const first = await openTracked(dataDir);

    const attempt = openDatabase({ dataDir });
    const error = await attempt.then(
      async (second) => {
        // Two PGlite instances on one folder corrupt it: close the intruder before failing.
        await second.close();
        return undefined;
      },
      (e: Error) => e,
    );
    expect(
      error,
      'openDatabase opened a folder this process already holds (a lock file naming our own pid must not be taken over while we hold it)',
    ).toBeInstanceOf(DataDirLockedError);
    expect(error!.message).toContain(dataDir);

    expect(await probeCount(first.db)).toBe(1);
    await first.db.execute(sql`insert into services (id, key, name) values ('lock-probe-2', 'lock-probe-2', '{"it":"Due"}')`);
    expect(existsSync(lockFile(dataDir))).toBe(true);
  });
});

/** The pid of a process that has already exited (so nothing answers to it). */
function pidOfFinishedProcess(): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', '0']);
    child.once('error', reject);
    child.once('exit', () => resolve(child.pid!));
  });
}

/**
 * Opens the folder in another Node process (Node 24 runs db/client.ts directly) and answers commands on
 * stdin: count | insert | close.
 */
async function holdInChildProcess(dataDir: string) {
  const client = pathToFileURL(join(ROOT, 'db/client.ts')).href;
  const script = `
    import { createInterface } from 'node:readline';
    import { sql } from 'drizzle-orm';
    import { openDatabase } from ${JSON.stringify(client)};
    const database = await openDatabase({ dataDir: ${JSON.stringify(dataDir)} });
    const count = async () => {
      const r = await database.db.execute(sql\`select count(*)::int as n from services where key like 'lock-probe%'\`);
      return String(r.rows[0].n);
    };
    console.log('ready');
    for await (const line of createInterface({ input: process.stdin })) {
      if (line === 'count') console.log(await count());
      if (line === 'insert') {
        await database.db.execute(sql\`insert into services (id, key, name) values ('lock-probe-c', 'lock-probe-c', '{"it":"Figlio"}')\`);
        console.log('ok');
      }
      if (line === 'close') { await database.close(); console.log('closed'); process.exit(0); }
    }
  `;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const lines: string[] = [];
  const waiting: ((line: string) => void)[] = [];
  let buffer = '';
  child.stdout.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    let newline: number;
    while ((newline = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, newline).trim();
      buffer = buffer.slice(newline + 1);
      const next = waiting.shift();
      if (next) next(line);
      else lines.push(line);
    }
  });
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code) => reject(new Error(`holder process exited (${code}): ${stderr}`))),
  );
  exited.catch(() => {});
  const nextLine = () =>
    Promise.race([
      lines.length ? Promise.resolve(lines.shift()!) : new Promise<string>((resolve) => waiting.push(resolve)),
      exited,
    ]);
  const ready = await nextLine();
  if (ready !== 'ready') throw new Error(`holder process said ${ready}: ${stderr}`);
  return {
    child,
    ask(command: string): Promise<string> {
      child.stdin.write(`${command}\n`);
      return nextLine();
    },
  };
}
