import { and, asc, desc, eq, inArray, isNull } from 'drizzle-orm';
import { dataGapNoticeServices, dataGapNotices, dataGapWindows, incidents, services } from '../../db/schema/index.ts';
import type { LocalizedText } from '../domain/vocab.ts';
import { recordAudit } from './audit.ts';
import { emitEvent } from './events.ts';
import { serviceIdsByKey } from './catalog.ts';
import { type Ctx, inTransaction } from './context.ts';
import { notFound, parseInput } from './errors.ts';
import { type In, PublishNoticeInput, UpdateNoticeInput } from './inputs.ts';
import { authorize } from './permissions.ts';

export async function publishNotice(ctx: Ctx, input: In<typeof PublishNoticeInput>) {
  authorize(ctx.actor, 'write');
  const data = parseInput(PublishNoticeInput, input);
  return inTransaction(ctx, async (tx) => {
    if (data.incidentId) {
      // Checked here: the foreign key would only fail with a raw database error.
      const [incident] = await tx.db.select({ id: incidents.id }).from(incidents).where(eq(incidents.id, data.incidentId));
      if (!incident) throw notFound('incident', data.incidentId);
    }
    const ids = await serviceIdsByKey(tx, data.services);
    const [row] = await tx.db
      .insert(dataGapNotices)
      .values({
        incidentId: data.incidentId,
        title: data.title,
        body: data.body,
        audience: data.audience,
        action: data.action,
        publishedAt: data.publishedAt ?? tx.now(),
        createdAt: tx.now(),
      })
      .returning();
    const notice = row!;
    await tx.db.insert(dataGapWindows).values(
      data.windows.map((w, i) => ({
        noticeId: notice.id,
        scope: w.scope,
        restoredUntil: w.restoredUntil,
        gapEndsAt: w.gapEndsAt,
        pending: w.pending,
        sortOrder: i,
      })),
    );
    if (ids.size > 0) {
      await tx.db.insert(dataGapNoticeServices).values([...ids.values()].map((serviceId) => ({ noticeId: notice.id, serviceId })));
    }
    await recordAudit(tx, { action: 'notice.publish', objectType: 'data_gap_notice', objectId: notice.id, after: { ...notice, windows: data.windows } });
    await emitNoticeEvent(tx, notice, data.services, data.windows, { notify: data.notify, occurredAt: notice.publishedAt, restored: false });
    return notice;
  });
}

type EventWindow = { scope: LocalizedText; restoredUntil: Date; gapEndsAt?: Date | null; pending: boolean };

/**
 * The notice as readers get it (feeds, e-mail, webhooks): published, or published again once a restore it
 * announced as still expected is done (`restored`), since "your data is back" is the news they wait for.
 */
async function emitNoticeEvent(
  tx: Ctx,
  notice: NoticeRow,
  serviceKeys: string[],
  windows: EventWindow[],
  opts: { notify: boolean; occurredAt: Date; restored: boolean },
) {
  await emitEvent(tx, {
    type: 'notice.published',
    subjectId: notice.id,
    incidentId: notice.incidentId,
    serviceKeys: [...serviceKeys].sort(),
    title: notice.title,
    body: notice.action ?? notice.body,
    notify: opts.notify,
    occurredAt: opts.occurredAt,
    data: {
      windows: windows.map((w) => ({ scope: w.scope, restoredUntil: w.restoredUntil, gapEndsAt: w.gapEndsAt ?? null, pending: w.pending })),
      // The event's body holds one text; feeds show the notice as the page does: what happened, who, what to do.
      body: notice.body ?? null,
      audience: notice.audience ?? null,
      action: notice.action ?? null,
      ...(opts.restored ? { restored: true } : {}),
    },
  });
}

/** Closes a notice (the gap is filled); closing a closed notice changes nothing. */
export async function closeNotice(ctx: Ctx, input: { noticeId: string; at?: Date }) {
  authorize(ctx.actor, 'write');
  return inTransaction(ctx, async (tx) => {
    const [current] = await tx.db.select().from(dataGapNotices).where(eq(dataGapNotices.id, input.noticeId)).for('update');
    if (!current) throw notFound('data-gap notice', input.noticeId);
    if (current.closedAt) return current;
    const [row] = await tx.db
      .update(dataGapNotices)
      .set({ closedAt: input.at ?? tx.now() })
      .where(eq(dataGapNotices.id, current.id))
      .returning();
    await recordAudit(tx, { action: 'notice.close', objectType: 'data_gap_notice', objectId: current.id, before: current, after: row });
    return row!;
  });
}

export type NoticeRow = typeof dataGapNotices.$inferSelect;
export type NoticeForEdit = NoticeRow & { windows: (typeof dataGapWindows.$inferSelect)[]; serviceKeys: string[] };

/**
 * Edits a published notice. `services` and `windows`, when given, replace the current lists (a correction of
 * "restored up to", or a pending restore now done, is the usual reason to come here).
 */
export async function updateNotice(ctx: Ctx, input: In<typeof UpdateNoticeInput>): Promise<NoticeRow> {
  authorize(ctx.actor, 'write');
  const data = parseInput(UpdateNoticeInput, input);
  return inTransaction(ctx, async (tx) => {
    const [current] = await tx.db.select().from(dataGapNotices).where(eq(dataGapNotices.id, data.noticeId)).for('update');
    if (!current) throw notFound('data-gap notice', data.noticeId);
    const [before] = await noticesWithDetails(tx, [current]);
    const patch: Partial<typeof dataGapNotices.$inferInsert> = {};
    if (data.title !== undefined) patch.title = data.title;
    if (data.body !== undefined) patch.body = data.body;
    if (data.audience !== undefined) patch.audience = data.audience;
    if (data.action !== undefined) patch.action = data.action;
    const [row] = Object.keys(patch).length
      ? await tx.db.update(dataGapNotices).set(patch).where(eq(dataGapNotices.id, current.id)).returning()
      : [current];
    if (data.services !== undefined) {
      const ids = await serviceIdsByKey(tx, data.services);
      await tx.db.delete(dataGapNoticeServices).where(eq(dataGapNoticeServices.noticeId, current.id));
      if (ids.size > 0) {
        await tx.db.insert(dataGapNoticeServices).values([...ids.values()].map((serviceId) => ({ noticeId: current.id, serviceId })));
      }
    }
    if (data.windows !== undefined) {
      await tx.db.delete(dataGapWindows).where(eq(dataGapWindows.noticeId, current.id));
      await tx.db.insert(dataGapWindows).values(
        data.windows.map((w, i) => ({
          noticeId: current.id,
          scope: w.scope,
          restoredUntil: w.restoredUntil,
          gapEndsAt: w.gapEndsAt,
          pending: w.pending,
          sortOrder: i,
        })),
      );
    }
    const [after] = await noticesWithDetails(tx, [row!]);
    await recordAudit(tx, { action: 'notice.edit', objectType: 'data_gap_notice', objectId: current.id, before, after });
    const stillPending = (n: NoticeForEdit) => n.windows.filter((w) => w.pending).length;
    if (stillPending(after!) < stillPending(before!) && current.closedAt === null) {
      await emitNoticeEvent(tx, row!, after!.serviceKeys, after!.windows, { notify: data.notify, occurredAt: tx.now(), restored: true });
    }
    return row!;
  });
}

/** Notices for the console, newest first: open ones, or all with `includeClosed`; optionally of one incident. */
export async function listNotices(ctx: Ctx, input: { incidentId?: string; includeClosed?: boolean } = {}): Promise<NoticeForEdit[]> {
  authorize(ctx.actor, 'read');
  const rows = await ctx.db
    .select()
    .from(dataGapNotices)
    .where(
      and(
        input.incidentId ? eq(dataGapNotices.incidentId, input.incidentId) : undefined,
        input.includeClosed ? undefined : isNull(dataGapNotices.closedAt),
      ),
    )
    .orderBy(desc(dataGapNotices.publishedAt), desc(dataGapNotices.id));
  return noticesWithDetails(ctx, rows);
}

export async function getNoticeForEdit(ctx: Ctx, input: { noticeId: string }): Promise<NoticeForEdit> {
  authorize(ctx.actor, 'read');
  const noticeId = String(input?.noticeId ?? '');
  const [row] = await ctx.db.select().from(dataGapNotices).where(eq(dataGapNotices.id, noticeId));
  if (!row) throw notFound('data-gap notice', noticeId);
  return (await noticesWithDetails(ctx, [row]))[0]!;
}

async function noticesWithDetails(ctx: Ctx, rows: NoticeRow[]): Promise<NoticeForEdit[]> {
  if (rows.length === 0) return [];
  const ids = rows.map((r) => r.id);
  const windows = await ctx.db
    .select()
    .from(dataGapWindows)
    .where(inArray(dataGapWindows.noticeId, ids))
    .orderBy(asc(dataGapWindows.sortOrder));
  const keys = await ctx.db
    .select({ noticeId: dataGapNoticeServices.noticeId, key: services.key })
    .from(dataGapNoticeServices)
    .innerJoin(services, eq(services.id, dataGapNoticeServices.serviceId))
    .where(inArray(dataGapNoticeServices.noticeId, ids));
  return rows.map((r) => ({
    ...r,
    windows: windows.filter((w) => w.noticeId === r.id),
    serviceKeys: keys.filter((k) => k.noticeId === r.id).map((k) => k.key).sort(),
  }));
}
