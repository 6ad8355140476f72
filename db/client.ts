import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { PGlite, type QueryOptions, type Transaction } from '@electric-sql/pglite';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import { migrate as migratePostgres } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';
import * as schema from './schema/index.ts';

export type Schema = typeof schema;
/** Either driver's database, or a transaction on it: services accept any of them. */
export type Db = PgDatabase<PgQueryResultHKT, Schema>;

export type Database = {
  db: Db;
  kind: 'pglite' | 'postgres';
  migrate(migrationsDir: string): Promise<void>;
  /**
   * LISTEN on a channel: postgres.js on its own connection (re-listens after a reconnect), PGlite in-process.
   * Resolves once listening, with the function that stops it.
   */
  listen(channel: string, onPayload: (payload: string) => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
};

/** Lock files this process holds: a second opener in the same process is refused too. */
const heldHere = new Set<string>();

/** Any fixed number: it only has to be the same for every instance of Vedetta on one database. */
const MIGRATION_LOCK_KEY = 7_305_017_001;

export type OpenOptions = {
  databaseUrl?: string;
  dataDir?: string;
  /**
   * PGlite only: awaited before each protocol message it executes, when it returns a promise. PGlite runs
   * PostgreSQL inside this process's event loop, and a page's queued queries would otherwise run back to back
   * as one block of WebAssembly (30-60 ms measured for a cold home page); the server passes its time slicer
   * (src/app/slices.ts) so readers are answered between queries. (postgres.js waits on sockets: nothing to do.)
   */
  beforeEmbeddedQuery?: () => Promise<void> | undefined;
};

export async function openDatabase(opts: OpenOptions): Promise<Database> {
  if (opts.databaseUrl) return openPostgres(opts.databaseUrl);
  return openPglite(opts.dataDir ? join(opts.dataDir, 'pglite') : undefined, opts.beforeEmbeddedQuery);
}

function openPostgres(url: string): Database {
  const client = postgres(url, { max: 10, onnotice: () => {} });
  const db = drizzlePostgres(client, { schema }) as unknown as Db;
  return {
    db,
    kind: 'postgres',
    async migrate(migrationsFolder) {
      // drizzle's migrator takes no lock: instances booting together would race on an empty database. A session
      // lock on one reserved connection, with the migrator on a single-connection client, serialises them.
      const lockConn = postgres(url, { max: 1, onnotice: () => {} });
      try {
        await lockConn`select pg_advisory_lock(${MIGRATION_LOCK_KEY})`;
        await migratePostgres(drizzlePostgres(lockConn), { migrationsFolder });
        await lockConn`select pg_advisory_unlock(${MIGRATION_LOCK_KEY})`;
      } finally {
        await lockConn.end({ timeout: 5 });
      }
    },
    async listen(channel, onPayload) {
      const { unlisten } = await client.listen(channel, onPayload);
      return unlisten;
    },
    close: () => client.end({ timeout: 5 }),
  };
}

/**
 * PostgreSQL's buffer cache inside PGlite lives in the process's WebAssembly memory, which grows and never
 * shrinks: the default 128 MB took the server from 315 to 441 MB of RSS on opening the large data set, with no
 * measurable gain per read (the data folder's files are in the OS page cache anyway). 8 MB rather than 16: 8-10 MB
 * less once booted and with the hot pages cached on the large data set (3 alternated pairs), with the same cold
 * render times (bench:render) and fan-out time (bench:fanout). Given as a start parameter, not in
 * postgresql.conf, so the operator's data folder is left as it is.
 */
const PGLITE_START_PARAMS = [...PGlite.defaultStartParams, '-c', 'shared_buffers=8MB'];

/**
 * drizzle hands PGlite its type parsers (timestamps, dates and intervals kept as text) with every query, and
 * PGlite merges them into its own ~350 per query. Those are keyed by type OID, up to the data folder's own types
 * above 16384, so every merge built an object of ~146 kB: for a one-row answer, three times what the query itself
 * allocates, and most of a page render's garbage (a cold home page on the large data set made 5.7 MB in 15
 * queries). drizzle's parsers are the same for every query: they are folded into the client's instead, and the
 * queries reach PGlite without them. Transactions' queries too: drizzle runs them on the transaction object.
 */
export function foldQueryParsers(client: PGlite): void {
  type Query = Transaction['query'];
  const folded = (query: Query): Query =>
    ((text: string, params?: unknown[], options?: QueryOptions) => {
      if (!options?.parsers) return query(text, params, options);
      const { parsers, ...rest } = options;
      Object.assign(client.parsers, parsers);
      return query(text, params, rest);
    }) as Query;
  client.query = folded(client.query.bind(client));
  const transaction = client.transaction.bind(client);
  client.transaction = (callback) =>
    transaction((tx) => {
      tx.query = folded(tx.query.bind(tx));
      return callback(tx);
    });
}

/** In memory when no folder is given (tests); otherwise one process per folder, enforced by a lock file. */
async function openPglite(dir: string | undefined, beforeQuery: OpenOptions['beforeEmbeddedQuery']): Promise<Database> {
  let release = () => {};
  if (dir) {
    mkdirSync(dir, { recursive: true });
    release = lockDataDir(dir);
  }
  let client: PGlite;
  try {
    client = await PGlite.create({ ...(dir ? { dataDir: dir } : {}), startParams: PGLITE_START_PARAMS });
  } catch (error) {
    release();
    throw error;
  }
  foldQueryParsers(client);
  if (beforeQuery) {
    // Every query, in a transaction or not, goes through this method (PGlite's own query/exec/transaction).
    const execute = client.execProtocolStream.bind(client);
    client.execProtocolStream = async (...args) => {
      await beforeQuery();
      return execute(...args);
    };
  }
  const db = drizzlePglite(client, { schema }) as unknown as Db;
  return {
    db,
    kind: 'pglite',
    async migrate(migrationsFolder) {
      await migratePglite(drizzlePglite(client), { migrationsFolder });
    },
    async listen(channel, onPayload) {
      return client.listen(channel, onPayload);
    },
    async close() {
      await client.close();
      release();
    },
  };
}

/**
 * PGlite has no lock of its own and two processes on one folder corrupt it. The lock file holds the owner's
 * pid: a file left by a dead process is taken over, a live owner makes us refuse to open.
 */
export function lockDataDir(dir: string): () => void {
  const lockPath = join(dir, '..', 'vedetta.lock');
  if (heldHere.has(lockPath)) throw new DataDirLockedError(dir, process.pid);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(lockPath, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      heldHere.add(lockPath);
      return () => {
        heldHere.delete(lockPath);
        rmSync(lockPath, { force: true });
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = Number(readFileSync(lockPath, 'utf8').trim());
      // Our own pid in a lock we do not hold is a leftover of an earlier process that had the same pid
      // (containers reuse pid 1), so only another live process counts as a holder.
      if (owner && owner !== process.pid && isAlive(owner)) {
        throw new DataDirLockedError(dir, owner);
      }
      rmSync(lockPath, { force: true });
    }
  }
  throw new Error(`Could not lock the data folder ${dir}`);
}

export class DataDirLockedError extends Error {
  constructor(dir: string, pid: number) {
    super(
      `The embedded database in ${dir} is already open ${pid === process.pid ? 'in this process' : `in another process (pid ${pid})`}. ` +
        'Stop that process first, or set DATA_DIR to another folder, or DATABASE_URL to use PostgreSQL.',
    );
    this.name = 'DataDirLockedError';
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
