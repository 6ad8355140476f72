import type { Db } from '../../db/client.ts';
import type { OperatorRole, TokenScope } from '../domain/vocab.ts';

/** Who is acting: recorded in the audit log with every change. */
export type Actor = {
  kind: 'system' | 'operator' | 'token' | 'public';
  id: string;
  /** Operators only. */
  role?: OperatorRole;
  /** API tokens only. */
  scopes?: TokenScope[];
};

/**
 * What every service function receives. The clock is injected so tests can move time; `db` may be the
 * database or a transaction on it.
 */
export type Ctx = {
  db: Db;
  now: () => Date;
  actor: Actor;
  timeZone: string;
  siteUrl: string;
};

export const SYSTEM_ACTOR: Actor = { kind: 'system', id: 'system' };

/** Runs `fn` in one transaction (a savepoint when `ctx.db` is already a transaction). */
export async function inTransaction<T>(ctx: Ctx, fn: (tx: Ctx) => Promise<T>): Promise<T> {
  return ctx.db.transaction((tx) => fn({ ...ctx, db: tx as unknown as Db }));
}
