import { and, desc, eq, lt, sql } from 'drizzle-orm';
import { events, outbox } from '../../db/schema/index.ts';
import { newId } from '../../db/ids.ts';
import type { EventType, LocalizedText } from '../domain/vocab.ts';
import type { Ctx } from './context.ts';

export type EventRow = typeof events.$inferSelect;

export type NewEvent = {
  type: EventType;
  subjectId: string;
  incidentId?: string | null;
  maintenanceId?: string | null;
  serviceKeys: string[];
  title: LocalizedText;
  body?: LocalizedText | null;
  data?: Record<string, unknown>;
  notify?: boolean;
  occurredAt: Date;
};

/** Call inside the transaction of the change itself, so an event exists exactly when its change does. */
export async function emitEvent(tx: Ctx, event: NewEvent): Promise<EventRow> {
  const [row] = await tx.db
    .insert(events)
    .values({
      id: newId(),
      type: event.type,
      subjectId: event.subjectId,
      incidentId: event.incidentId ?? null,
      maintenanceId: event.maintenanceId ?? null,
      serviceKeys: event.serviceKeys,
      title: event.title,
      body: event.body ?? null,
      data: event.data ?? {},
      notify: event.notify ?? true,
      occurredAt: event.occurredAt,
    })
    .returning();
  // The outbox row makes e-mail and webhook delivery part of the same commit as the change (see db/schema/outbox.ts).
  await tx.db.insert(outbox).values({ kind: 'event.dispatch', subjectId: row!.id, runAt: event.occurredAt });
  return row!;
}

/** Newest first; optionally for one incident or one service; `beforeSeq` pages backwards. */
export async function listEvents(
  ctx: Ctx,
  filter: { incidentId?: string; serviceKey?: string; limit?: number; beforeSeq?: number } = {},
): Promise<EventRow[]> {
  const conditions = [
    filter.incidentId ? eq(events.incidentId, filter.incidentId) : undefined,
    filter.serviceKey ? sql`${events.serviceKeys} @> ${JSON.stringify([filter.serviceKey])}::jsonb` : undefined,
    filter.beforeSeq ? lt(events.seq, filter.beforeSeq) : undefined,
  ].filter(Boolean);
  return ctx.db
    .select()
    .from(events)
    .where(conditions.length ? and(...conditions) : undefined)
    .orderBy(desc(events.occurredAt), desc(events.seq))
    .limit(Math.min(filter.limit ?? 50, 500));
}
