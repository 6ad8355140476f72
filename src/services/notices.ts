import { eq } from 'drizzle-orm';
import { dataGapNoticeServices, dataGapNotices, dataGapWindows, incidents } from '../../db/schema/index.ts';
import { recordAudit } from './audit.ts';
import { emitEvent } from './events.ts';
import { serviceIdsByKey } from './catalog.ts';
import { type Ctx, inTransaction } from './context.ts';
import { notFound, parseInput } from './errors.ts';
import { type In, PublishNoticeInput } from './inputs.ts';

export async function publishNotice(ctx: Ctx, input: In<typeof PublishNoticeInput>) {
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
        sortOrder: i,
      })),
    );
    if (ids.size > 0) {
      await tx.db.insert(dataGapNoticeServices).values([...ids.values()].map((serviceId) => ({ noticeId: notice.id, serviceId })));
    }
    await recordAudit(tx, { action: 'notice.publish', objectType: 'data_gap_notice', objectId: notice.id, after: { ...notice, windows: data.windows } });
    await emitEvent(tx, {
      type: 'notice.published',
      subjectId: notice.id,
      incidentId: notice.incidentId,
      serviceKeys: [...data.services].sort(),
      title: notice.title,
      body: notice.action ?? notice.body,
      occurredAt: notice.publishedAt,
      data: { windows: data.windows.map((w) => ({ scope: w.scope, restoredUntil: w.restoredUntil, gapEndsAt: w.gapEndsAt ?? null })) },
    });
    return notice;
  });
}

export async function closeNotice(ctx: Ctx, input: { noticeId: string; at?: Date }) {
  return inTransaction(ctx, async (tx) => {
    const [row] = await tx.db
      .update(dataGapNotices)
      .set({ closedAt: input.at ?? tx.now() })
      .where(eq(dataGapNotices.id, input.noticeId))
      .returning();
    if (!row) throw notFound('data-gap notice', input.noticeId);
    await recordAudit(tx, { action: 'notice.close', objectType: 'data_gap_notice', objectId: row.id, after: row });
    return row;
  });
}
