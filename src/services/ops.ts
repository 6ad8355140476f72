import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { inArray, sql } from 'drizzle-orm';
import { OUTBOX_KINDS, outbox } from '../../db/schema/outbox.ts';
import type { Ctx } from './context.ts';

/**
 * What operations tooling reads from the database: readiness for orchestrators, the outbox figures for metrics,
 * and the one rule that tells "the database is not there" from every other failure.
 */

/** Thrown when the database did not answer within the time a probe allows. */
export class DatabaseTimeoutError extends Error {
  readonly code = 'DATABASE_TIMEOUT';
  constructor(ms: number) {
    super(`The database did not answer within ${ms} ms.`);
    this.name = 'DatabaseTimeoutError';
  }
}

/**
 * Error codes meaning the database cannot be reached right now (as opposed to a bad query): postgres.js's own
 * connection codes, the socket errors under them, and PostgreSQL's class 08 (connection exception) and 57P0x
 * (the server is shutting down, crashed or still starting up) plus 53300 (no free connection slot).
 */
const UNAVAILABLE_CODES = new Set([
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
  'CONNECTION_CLOSED',
  'CONNECT_TIMEOUT',
  'DATABASE_TIMEOUT',
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  '57P01',
  '57P02',
  '57P03',
  '53300',
]);

/**
 * True when `error` (or anything it wraps: drizzle puts the driver's error in `cause`, node's connect puts one
 * error per address in an AggregateError) says the database is unreachable. Callers answer 503 for these.
 */
export function isDatabaseUnavailable(error: unknown, depth = 0): boolean {
  if (!error || typeof error !== 'object' || depth > 5) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && (UNAVAILABLE_CODES.has(code) || code.startsWith('08'))) return true;
  // PGlite answers this after close(): only during a graceful stop, when the request should be retried elsewhere.
  if (error instanceof Error && error.message === 'PGlite is closed') return true;
  const inner = (error as { cause?: unknown; errors?: unknown }).errors;
  if (Array.isArray(inner) && inner.some((e) => isDatabaseUnavailable(e, depth + 1))) return true;
  return isDatabaseUnavailable((error as { cause?: unknown }).cause, depth + 1);
}

/** Rejects with DatabaseTimeoutError when `work` takes longer than `ms` (the work itself is left to finish). */
export async function withDatabaseTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DatabaseTimeoutError(ms)), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** True when the database answers a trivial query within `timeoutMs`; false when it is unreachable. */
export async function pingDatabase(ctx: Ctx, timeoutMs: number): Promise<boolean> {
  try {
    await withDatabaseTimeout(ctx.db.execute(sql`select 1`), timeoutMs);
    return true;
  } catch (error) {
    if (isDatabaseUnavailable(error)) return false;
    throw error;
  }
}

export type MigrationJournal = { count: number; lastWhen: number; lastTag: string };

const journals = new Map<string, Promise<MigrationJournal>>();

/** The migrations this build ships (drizzle-kit's journal), read once per folder: they cannot change while it runs. */
export function readMigrationJournal(migrationsDir: string): Promise<MigrationJournal> {
  let journal = journals.get(migrationsDir);
  if (!journal) {
    journal = readFile(join(migrationsDir, 'meta', '_journal.json'), 'utf8').then((text) => {
      const entries = (JSON.parse(text) as { entries: { when: number; tag: string }[] }).entries;
      const last = entries.at(-1);
      return { count: entries.length, lastWhen: last?.when ?? 0, lastTag: last?.tag ?? '' };
    });
    journal.catch(() => journals.delete(migrationsDir));
    journals.set(migrationsDir, journal);
  }
  return journal;
}

export type Readiness =
  | { ready: true; database: 'ok'; migrations: 'current'; applied: number; expected: number }
  | { ready: false; database: 'unreachable'; reason: string }
  | { ready: false; database: 'ok'; migrations: 'pending'; applied: number; expected: number };

/**
 * Is this instance fit to take traffic: the database answers within `timeoutMs` and every migration this build
 * ships has been applied. drizzle's migrator applies a migration when its journal time is newer than the last
 * applied row's `created_at`, so that comparison is exactly "nothing left to apply".
 */
export async function checkReadiness(ctx: Ctx, opts: { migrationsDir: string; timeoutMs: number }): Promise<Readiness> {
  const journal = await readMigrationJournal(opts.migrationsDir);
  let rows: Record<string, unknown>[];
  try {
    const result = await withDatabaseTimeout(
      ctx.db.execute(sql`select count(*)::int as applied, coalesce(max(created_at), 0)::text as last from drizzle.__drizzle_migrations`),
      opts.timeoutMs,
    );
    // postgres.js returns the rows array itself, PGlite an object with `rows`.
    rows = (Array.isArray(result) ? result : (result as { rows: unknown[] }).rows) as Record<string, unknown>[];
  } catch (error) {
    if (isDatabaseUnavailable(error)) return { ready: false, database: 'unreachable', reason: describe(error) };
    // The database answered but has no migrations table: nothing was ever applied.
    if (causeCode(error) === '42P01' || causeCode(error) === '3F000') {
      return { ready: false, database: 'ok', migrations: 'pending', applied: 0, expected: journal.count };
    }
    throw error;
  }
  const applied = Number(rows[0]?.applied ?? 0);
  const last = Number(rows[0]?.last ?? 0);
  if (last >= journal.lastWhen && applied >= journal.count) {
    return { ready: true, database: 'ok', migrations: 'current', applied, expected: journal.count };
  }
  return { ready: false, database: 'ok', migrations: 'pending', applied, expected: journal.count };
}

function causeCode(error: unknown, depth = 0): string | undefined {
  if (!error || typeof error !== 'object' || depth > 5) return undefined;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') return code;
  return causeCode((error as { cause?: unknown }).cause, depth + 1);
}

/** A short reason for logs and /readyz, without the query text drizzle puts in its own message. */
function describe(error: unknown): string {
  const code = causeCode(error);
  if (error instanceof DatabaseTimeoutError) return error.message;
  return code ? `database unreachable (${code})` : 'database unreachable';
}

export type OutboxFigures = { kind: string; pending: number; dead: number; oldestPendingSeconds: number };

/** Pending and dead outbox rows by kind, with the age of the oldest pending one; every kind is listed (0s too). */
export async function outboxFigures(ctx: Ctx): Promise<OutboxFigures[]> {
  const rows = await ctx.db
    .select({
      kind: outbox.kind,
      pending: sql<number>`count(*) filter (where ${outbox.state} = 'pending')`.mapWith(Number),
      dead: sql<number>`count(*) filter (where ${outbox.state} = 'dead')`.mapWith(Number),
      oldest: sql<Date | null>`min(${outbox.createdAt}) filter (where ${outbox.state} = 'pending')`.mapWith(outbox.createdAt),
    })
    .from(outbox)
    .where(inArray(outbox.state, ['pending', 'dead']))
    .groupBy(outbox.kind);
  const now = ctx.now().getTime();
  const byKind = new Map(rows.map((r) => [r.kind as string, r]));
  return OUTBOX_KINDS.map((kind) => {
    const row = byKind.get(kind);
    const oldest = row?.oldest ? new Date(row.oldest).getTime() : null;
    return {
      kind,
      pending: row?.pending ?? 0,
      dead: row?.dead ?? 0,
      oldestPendingSeconds: oldest === null ? 0 : Math.max(0, (now - oldest) / 1000),
    };
  });
}
