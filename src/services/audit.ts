import { and, desc, eq, lt, notInArray, or } from 'drizzle-orm';
import { auditLog } from '../../db/schema/index.ts';
import type { Ctx } from './context.ts';
import { ServiceError, parseInput } from './errors.ts';
import { type In, ListAuditInput } from './inputs.ts';
import { authorize, grants } from './permissions.ts';

export async function recordAudit(
  ctx: Ctx,
  entry: { action: string; objectType: string; objectId: string; before?: unknown; after?: unknown },
): Promise<void> {
  await ctx.db.insert(auditLog).values({
    actor: `${ctx.actor.kind}:${ctx.actor.id}`,
    action: entry.action,
    objectType: entry.objectType,
    objectId: entry.objectId,
    before: entry.before ?? null,
    after: entry.after ?? null,
    at: ctx.now(),
  });
}

export type AuditRow = typeof auditLog.$inferSelect;

/** Objects whose history only administrators read (who signed in, who holds which token). */
const ADMIN_ONLY_OBJECTS = ['operator', 'api_token'];

/**
 * The audit trail for the console, newest first, filtered by object and/or actor. Keyset pagination: pass the
 * returned `nextCursor` as `before` for the next page (stable while new rows arrive).
 */
export async function listAudit(
  ctx: Ctx,
  input: In<typeof ListAuditInput> = {},
): Promise<{ items: AuditRow[]; nextCursor: string | null }> {
  authorize(ctx.actor, 'read');
  const data = parseInput(ListAuditInput, input);
  const cursor = data.before === undefined ? undefined : decodeCursor(data.before);
  const rows = await ctx.db
    .select()
    .from(auditLog)
    .where(
      and(
        data.objectType ? eq(auditLog.objectType, data.objectType) : undefined,
        data.objectId ? eq(auditLog.objectId, data.objectId) : undefined,
        data.actor ? eq(auditLog.actor, data.actor) : undefined,
        grants(ctx.actor, 'admin') ? undefined : notInArray(auditLog.objectType, ADMIN_ONLY_OBJECTS),
        cursor ? or(lt(auditLog.at, cursor.at), and(eq(auditLog.at, cursor.at), lt(auditLog.id, cursor.id))) : undefined,
      ),
    )
    .orderBy(desc(auditLog.at), desc(auditLog.id))
    .limit(data.limit + 1);
  const items = rows.slice(0, data.limit);
  const last = items[items.length - 1];
  return { items, nextCursor: rows.length > data.limit && last ? encodeCursor(last) : null };
}

function encodeCursor(row: AuditRow): string {
  return Buffer.from(JSON.stringify([row.at.toISOString(), row.id])).toString('base64url');
}

function decodeCursor(value: string): { at: Date; id: string } {
  try {
    const [at, id] = JSON.parse(Buffer.from(value, 'base64url').toString('utf8')) as [unknown, unknown];
    const date = new Date(String(at));
    if (typeof id === 'string' && !Number.isNaN(date.getTime())) return { at: date, id };
  } catch {
    // falls through to the error below
  }
  throw new ServiceError('validation_failed', 'The page cursor is not valid: start again from the first page.', { before: 'not a valid cursor' });
}
