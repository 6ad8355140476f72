/**
 * The uptime bars' past: the stored figures of the closed days and the incidents overlapping them. On the large
 * data set reading them is half of the home page's database time, yet most writes during an incident (an update
 * posted, a milestone, a notice) do not change them. Migration 0009 bumps `content_version.history_version` at
 * the commit of any write that does (status history, an incident's services, title or times), so a page reads
 * that one number and keeps the rest from the last read under the same number.
 *
 * Kept per database object (the app has one; tests open many in one process, each test in a transaction of its
 * own) and per process (every instance reads the number from the shared database, so none serves another's
 * stale copy).
 */
import { eq, sql } from 'drizzle-orm';
import { contentVersion } from '../../db/schema/index.ts';
import { BoundedMemo } from '../domain/memo.ts';
import type { Ctx } from './context.ts';

/**
 * The history version, or null when a kept copy must not be used: a transaction that has written something
 * (its own changes bump the number only at its commit) or a database without the row.
 */
export type HistoryVersion = number | null;

export async function readHistoryVersion(ctx: Ctx): Promise<HistoryVersion> {
  const [row] = await ctx.db
    .select({
      version: contentVersion.historyVersion,
      wrote: sql<boolean>`pg_current_xact_id_if_assigned() is not null`,
    })
    .from(contentVersion)
    .where(eq(contentVersion.id, 1));
  return row && !row.wrote ? row.version : null;
}

const kept = new WeakMap<object, BoundedMemo<{ version: number; value: unknown }>>();

/**
 * `load()`'s result, or the one kept under `key` when it was loaded under the same history version. The caller
 * reads the version BEFORE loading, so a copy is never older than the number it is kept under. `keep` says
 * whether a result may be kept (a read that found days still to compute comes back complete next time).
 */
export async function sinceHistoryChange<V>(
  ctx: Ctx,
  version: HistoryVersion,
  key: string,
  load: () => Promise<V>,
  keep: (value: V) => boolean = () => true,
): Promise<V> {
  if (version === null) return load();
  let memo = kept.get(ctx.db);
  if (!memo) {
    memo = new BoundedMemo(256);
    kept.set(ctx.db, memo);
  }
  const hit = memo.get(key);
  if (hit?.version === version) return hit.value as V;
  const value = await load();
  if (keep(value)) memo.remember(key, { version, value });
  return value;
}
