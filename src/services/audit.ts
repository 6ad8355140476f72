import { auditLog } from '../../db/schema/index.ts';
import type { Ctx } from './context.ts';

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
