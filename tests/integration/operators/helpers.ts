/** Actors and fixtures for the operator-side tests (on the shared harness: one rolled-back transaction per test). */
import { and, eq } from 'drizzle-orm';
import { expect } from 'vitest';
import type { Db } from '../../../db/client.ts';
import { auditLog } from '../../../db/schema/index.ts';
import type { Actor, Ctx } from '../../../src/services/context.ts';
import { SYSTEM_ACTOR } from '../../../src/services/context.ts';
import { type TestClock, makeCtx as harnessCtx, testClock } from '../../support/db.ts';
import { uid } from '../factories.ts';

export { expectServiceError, intervalsOf, makeIncident, makeService, uid, uniqueKey, HOUR, DAY } from '../factories.ts';

export const ADMIN: Actor = { kind: 'operator', id: 'op-admin', role: 'admin' };
export const EDITOR: Actor = { kind: 'operator', id: 'op-editor', role: 'editor' };
export const VIEWER: Actor = { kind: 'operator', id: 'op-viewer', role: 'viewer' };
export const READ_TOKEN: Actor = { kind: 'token', id: 'tok-read', scopes: ['read'] };
export const WRITE_TOKEN: Actor = { kind: 'token', id: 'tok-write', scopes: ['write'] };
export const ADMIN_TOKEN: Actor = { kind: 'token', id: 'tok-admin', scopes: ['admin'] };
export const PUBLIC: Actor = { kind: 'public', id: 'anonymous' };
/** An operator row without a role (a bug elsewhere) must get nothing. */
export const ROLELESS: Actor = { kind: 'operator', id: 'op-none' };
export { SYSTEM_ACTOR };

export type C = Ctx & { clock: TestClock };

/** A context on the test's transaction with a movable clock (frozen unless the test moves it). */
export function ctxFor(db: Db, opts: { actor?: Actor; now?: Date | string; clock?: TestClock } = {}): C {
  const clock = opts.clock ?? testClock(opts.now ?? '2026-03-19T09:00:00Z');
  const base = harnessCtx(db, { actor: opts.actor ?? EDITOR });
  return { ...base, now: clock.now, clock };
}

/** The same database and clock, another actor. */
export const as = (ctx: C, actor: Actor): C => ({ ...ctx, actor });

export async function auditRows(db: Db, objectType: string, objectId: string) {
  const rows = await db
    .select()
    .from(auditLog)
    .where(and(eq(auditLog.objectType, objectType), eq(auditLog.objectId, objectId)));
  return rows.sort((a, b) => a.at.getTime() - b.at.getTime());
}

/** The last audit row of an object has this action, and before/after as asked. */
export async function expectAudit(
  db: Db,
  objectType: string,
  objectId: string,
  action: string,
  check: { before?: boolean; after?: boolean; actor?: string } = { before: true, after: true },
) {
  const rows = (await auditRows(db, objectType, objectId)).filter((r) => r.action === action);
  expect(rows.length, `audit ${action} on ${objectType}:${objectId}`).toBeGreaterThan(0);
  const row = rows[rows.length - 1]!;
  if (check.before) expect(row.before, `${action} before`).not.toBeNull();
  if (check.after) expect(row.after, `${action} after`).not.toBeNull();
  if (check.actor) expect(row.actor).toBe(check.actor);
  return row;
}

export const email = () => `op-${uid()}@example.test`;
export const PASSWORD = 'correct horse battery staple';
