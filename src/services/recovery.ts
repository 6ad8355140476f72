import { and, asc, eq, max, ne } from 'drizzle-orm';
import { incidentFaq, incidents, milestones, services } from '../../db/schema/index.ts';
import { isOpenMilestone, milestoneTransitionError } from '../domain/lifecycle.ts';
import { recordAudit } from './audit.ts';
import { emitEvent } from './events.ts';
import { incidentServiceKeys } from './incidents.ts';
import { serviceIdsByKey } from './catalog.ts';
import { type Ctx, inTransaction } from './context.ts';
import { ServiceError, notFound, parseInput } from './errors.ts';
import {
  AddFaqEntryInput,
  AddMilestoneInput,
  ChangeMilestoneInput,
  type In,
  ReorderInput,
  UpdateFaqEntryInput,
  UpdateMilestoneInput,
} from './inputs.ts';
import { authorize } from './permissions.ts';

async function assertIncident(ctx: Ctx, incidentId: string) {
  const [row] = await ctx.db.select({ id: incidents.id }).from(incidents).where(eq(incidents.id, incidentId));
  if (!row) throw notFound('incident', incidentId);
}

export async function addMilestone(ctx: Ctx, input: In<typeof AddMilestoneInput>) {
  authorize(ctx.actor, 'write');
  const data = parseInput(AddMilestoneInput, input);
  if (data.state === 'delayed') {
    // A delay needs a new date and a reason (changeMilestone); this input carries no reason.
    throw new ServiceError('validation_failed', 'Add the milestone first, then delay it with a new expected date and a reason.', {
      state: 'cannot start as delayed',
    });
  }
  return inTransaction(ctx, async (tx) => {
    assertDoneByNow(data.actualAt, tx.now());
    await assertIncident(tx, data.incidentId);
    const serviceId = data.service ? (await serviceIdsByKey(tx, [data.service], 'service')).get(data.service) : undefined;
    const sortOrder =
      data.sortOrder ??
      ((await tx.db.select({ m: max(milestones.sortOrder) }).from(milestones).where(eq(milestones.incidentId, data.incidentId)))[0]
        ?.m ?? -1) + 1;
    const [row] = await tx.db
      .insert(milestones)
      .values({
        incidentId: data.incidentId,
        serviceId,
        title: data.title,
        description: data.description,
        state: data.state,
        expectedAt: data.expectedAt,
        actualAt: data.actualAt ?? (data.state === 'done' ? tx.now() : undefined),
        sortOrder,
        createdAt: tx.now(),
        updatedAt: tx.now(),
      })
      .returning();
    await recordAudit(tx, { action: 'milestone.create', objectType: 'milestone', objectId: row!.id, after: row });
    await emitMilestoneEvent(tx, row!, data.notify, data.service);
    return row!;
  });
}

/** Moves a milestone along its lifecycle: starting, completing, delaying (new date and reason) or cancelling. */
export async function changeMilestone(ctx: Ctx, input: In<typeof ChangeMilestoneInput>) {
  authorize(ctx.actor, 'write');
  const data = parseInput(ChangeMilestoneInput, input);
  return inTransaction(ctx, async (tx) => {
    const [current] = await tx.db.select().from(milestones).where(eq(milestones.id, data.milestoneId)).for('update');
    if (!current) throw notFound('milestone', data.milestoneId);
    const reason = milestoneTransitionError(current.state, data.state);
    if (reason) throw new ServiceError('validation_failed', reason, { state: reason });
    assertDoneByNow(data.actualAt, tx.now());
    if (data.state === 'delayed' && (!data.expectedAt || !data.delayReason)) {
      throw new ServiceError('validation_failed', 'A delay needs a new expected date and a reason.', {
        ...(data.expectedAt ? {} : { expectedAt: 'required when delaying' }),
        ...(data.delayReason ? {} : { delayReason: 'required when delaying' }),
      });
    }
    // A delay published with a date already gone would read as late again the moment it appears.
    if (data.state === 'delayed' && data.expectedAt!.getTime() <= tx.now().getTime()) {
      throw new ServiceError('validation_failed', 'A delay moves the expected date to a time still ahead.', { expectedAt: 'must be in the future' });
    }
    const [row] = await tx.db
      .update(milestones)
      .set({
        state: data.state,
        expectedAt: data.expectedAt ?? current.expectedAt,
        actualAt: data.state === 'done' ? (data.actualAt ?? tx.now()) : current.actualAt,
        delayReason: data.state === 'delayed' ? data.delayReason : current.delayReason,
        updatedAt: tx.now(),
      })
      .where(eq(milestones.id, current.id))
      .returning();
    await recordAudit(tx, { action: `milestone.${data.state}`, objectType: 'milestone', objectId: current.id, before: current, after: row });
    await emitMilestoneEvent(tx, row!, data.notify);
    return row!;
  });
}

/** A step is done when it happened: a completion dated in the future would publish a promise as a fact. */
function assertDoneByNow(actualAt: Date | undefined, now: Date): void {
  if (actualAt && actualAt.getTime() > now.getTime()) {
    throw new ServiceError('validation_failed', 'A milestone is done when it happened: its actual date cannot lie ahead.', {
      actualAt: 'cannot be in the future',
    });
  }
}

/** Readers follow the plan: every new or moved milestone is announced on the incident and its service. */
async function emitMilestoneEvent(tx: Ctx, m: typeof milestones.$inferSelect, notify: boolean, serviceKey?: string) {
  const [service] = m.serviceId && !serviceKey
    ? await tx.db.select({ key: services.key }).from(services).where(eq(services.id, m.serviceId))
    : [];
  const key = serviceKey ?? service?.key;
  await emitEvent(tx, {
    type: 'milestone.updated',
    subjectId: m.id,
    incidentId: m.incidentId,
    serviceKeys: key ? [key] : await incidentServiceKeys(tx, m.incidentId),
    title: m.title,
    body: m.state === 'delayed' ? m.delayReason : m.description,
    notify,
    // A completion is dated when it happened; any other move, when it is announced.
    occurredAt: m.state === 'done' && m.actualAt && m.actualAt < tx.now() ? m.actualAt : tx.now(),
    data: {
      state: m.state,
      expectedAt: m.expectedAt?.toISOString() ?? null,
      actualAt: m.actualAt?.toISOString() ?? null,
    },
  });
}

export async function addFaqEntry(ctx: Ctx, input: In<typeof AddFaqEntryInput>) {
  authorize(ctx.actor, 'write');
  const data = parseInput(AddFaqEntryInput, input);
  return inTransaction(ctx, async (tx) => {
    await assertIncident(tx, data.incidentId);
    // Entries of one incident are added one at a time, so two at once cannot pick the same anchor.
    await tx.db.select({ id: incidents.id }).from(incidents).where(eq(incidents.id, data.incidentId)).for('no key update');
    const existing = await tx.db
      .select({ slug: incidentFaq.slug, sortOrder: incidentFaq.sortOrder })
      .from(incidentFaq)
      .where(eq(incidentFaq.incidentId, data.incidentId));
    const slug = uniqueSlug(data.slug ?? slugify(data.question.it), new Set(existing.map((e) => e.slug)));
    const sortOrder = data.sortOrder ?? Math.max(-1, ...existing.map((e) => e.sortOrder)) + 1;
    const [row] = await tx.db
      .insert(incidentFaq)
      .values({ incidentId: data.incidentId, slug, question: data.question, answer: data.answer, sortOrder, createdAt: tx.now(), updatedAt: tx.now() })
      .returning();
    await recordAudit(tx, { action: 'faq.create', objectType: 'incident_faq', objectId: row!.id, after: row });
    return row!;
  });
}

/** Anchors are built from the Italian question so links partners share stay the same whatever language they read. */
export function slugify(text: string): string {
  const slug = text
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60)
    .replace(/-+$/, '');
  return slug || 'domanda';
}

function uniqueSlug(base: string, taken: Set<string>): string {
  let slug = base;
  for (let n = 2; taken.has(slug); n++) slug = `${base}-${n}`;
  return slug;
}

// ---------------------------------------------------------------------------------------------------------
// Console: edit and order the plan and the FAQ.

export type MilestoneRow = typeof milestones.$inferSelect;
export type FaqRow = typeof incidentFaq.$inferSelect;

/**
 * Edits a milestone's texts, service or expected date (its state moves with `changeMilestone`). A new expected
 * date is announced to readers; a done or cancelled milestone keeps its dates.
 */
export async function updateMilestone(ctx: Ctx, input: In<typeof UpdateMilestoneInput>): Promise<MilestoneRow> {
  authorize(ctx.actor, 'write');
  const data = parseInput(UpdateMilestoneInput, input);
  return inTransaction(ctx, async (tx) => {
    const [current] = await tx.db.select().from(milestones).where(eq(milestones.id, data.milestoneId)).for('update');
    if (!current) throw notFound('milestone', data.milestoneId);
    const dateMoves = data.expectedAt !== undefined && data.expectedAt?.getTime() !== current.expectedAt?.getTime();
    if (dateMoves && !isOpenMilestone(current.state)) {
      throw new ServiceError('validation_failed', `The milestone is ${current.state}: its expected date no longer changes.`, {
        expectedAt: `milestone is ${current.state}`,
      });
    }
    const patch: Partial<typeof milestones.$inferInsert> = { updatedAt: tx.now() };
    if (data.title !== undefined) patch.title = data.title;
    if (data.description !== undefined) patch.description = data.description;
    if (data.expectedAt !== undefined) patch.expectedAt = data.expectedAt;
    if (data.service !== undefined) {
      patch.serviceId = data.service === null ? null : (await serviceIdsByKey(tx, [data.service], 'service')).get(data.service)!;
    }
    const [row] = await tx.db.update(milestones).set(patch).where(eq(milestones.id, current.id)).returning();
    await recordAudit(tx, { action: 'milestone.edit', objectType: 'milestone', objectId: current.id, before: current, after: row });
    if (dateMoves) await emitMilestoneEvent(tx, row!, data.notify);
    return row!;
  });
}

/** Sets the plan's order; `orderedIds` must list exactly the incident's milestones. */
export async function reorderMilestones(ctx: Ctx, input: In<typeof ReorderInput>): Promise<MilestoneRow[]> {
  authorize(ctx.actor, 'write');
  const data = parseInput(ReorderInput, input);
  return inTransaction(ctx, async (tx) => {
    await assertIncident(tx, data.incidentId);
    const rows = await tx.db
      .select()
      .from(milestones)
      .where(eq(milestones.incidentId, data.incidentId))
      .orderBy(asc(milestones.sortOrder), asc(milestones.createdAt))
      .for('update');
    const next = await applyOrder(tx, rows, data.orderedIds, (id, sortOrder) =>
      tx.db.update(milestones).set({ sortOrder, updatedAt: tx.now() }).where(eq(milestones.id, id)).returning(),
    );
    await recordAudit(tx, {
      action: 'milestone.reorder',
      objectType: 'incident',
      objectId: data.incidentId,
      before: { milestones: rows.map((r) => r.id) },
      after: { milestones: data.orderedIds },
    });
    return next;
  });
}

/** Edits a question, its answer or (deliberately) its anchor; an anchor stays unique within the incident. */
export async function updateFaqEntry(ctx: Ctx, input: In<typeof UpdateFaqEntryInput>): Promise<FaqRow> {
  authorize(ctx.actor, 'write');
  const data = parseInput(UpdateFaqEntryInput, input);
  return inTransaction(ctx, async (tx) => {
    const [current] = await tx.db.select().from(incidentFaq).where(eq(incidentFaq.id, data.faqId)).for('update');
    if (!current) throw notFound('FAQ entry', data.faqId);
    if (data.slug !== undefined && data.slug !== current.slug) {
      const [taken] = await tx.db
        .select({ id: incidentFaq.id })
        .from(incidentFaq)
        .where(and(eq(incidentFaq.incidentId, current.incidentId), eq(incidentFaq.slug, data.slug), ne(incidentFaq.id, current.id)));
      if (taken) throw new ServiceError('conflict', `Another question of this incident already uses the anchor "${data.slug}".`, { slug: 'already used' });
    }
    const [row] = await tx.db
      .update(incidentFaq)
      .set({
        question: data.question ?? current.question,
        answer: data.answer ?? current.answer,
        slug: data.slug ?? current.slug,
        updatedAt: tx.now(),
      })
      .where(eq(incidentFaq.id, current.id))
      .returning();
    await recordAudit(tx, { action: 'faq.edit', objectType: 'incident_faq', objectId: current.id, before: current, after: row });
    return row!;
  });
}

/** Removes a question (the audit row keeps its last text). */
export async function deleteFaqEntry(ctx: Ctx, input: { faqId: string }): Promise<FaqRow> {
  authorize(ctx.actor, 'write');
  const faqId = String(input?.faqId ?? '');
  return inTransaction(ctx, async (tx) => {
    const [row] = await tx.db.delete(incidentFaq).where(eq(incidentFaq.id, faqId)).returning();
    if (!row) throw notFound('FAQ entry', faqId);
    await recordAudit(tx, { action: 'faq.delete', objectType: 'incident_faq', objectId: row.id, before: row });
    return row;
  });
}

/** Sets the FAQ's order; `orderedIds` must list exactly the incident's questions. */
export async function reorderFaq(ctx: Ctx, input: In<typeof ReorderInput>): Promise<FaqRow[]> {
  authorize(ctx.actor, 'write');
  const data = parseInput(ReorderInput, input);
  return inTransaction(ctx, async (tx) => {
    await assertIncident(tx, data.incidentId);
    const rows = await tx.db
      .select()
      .from(incidentFaq)
      .where(eq(incidentFaq.incidentId, data.incidentId))
      .orderBy(asc(incidentFaq.sortOrder), asc(incidentFaq.createdAt))
      .for('update');
    const next = await applyOrder(tx, rows, data.orderedIds, (id, sortOrder) =>
      tx.db.update(incidentFaq).set({ sortOrder, updatedAt: tx.now() }).where(eq(incidentFaq.id, id)).returning(),
    );
    await recordAudit(tx, {
      action: 'faq.reorder',
      objectType: 'incident',
      objectId: data.incidentId,
      before: { faq: rows.map((r) => r.id) },
      after: { faq: data.orderedIds },
    });
    return next;
  });
}

async function applyOrder<R extends { id: string }>(
  _tx: Ctx,
  rows: R[],
  orderedIds: string[],
  write: (id: string, sortOrder: number) => Promise<R[]>,
): Promise<R[]> {
  const known = new Set(rows.map((r) => r.id));
  const unknown = orderedIds.filter((id) => !known.has(id));
  const missing = rows.filter((r) => !orderedIds.includes(r.id)).map((r) => r.id);
  if (unknown.length || missing.length) {
    throw new ServiceError('validation_failed', 'The new order must list every item of this incident exactly once (someone may have added or removed one: reload).', {
      orderedIds: [unknown.length ? `not in this incident: ${unknown.join(', ')}` : '', missing.length ? `missing: ${missing.join(', ')}` : '']
        .filter(Boolean)
        .join('; '),
    });
  }
  const out: R[] = [];
  for (const [i, id] of orderedIds.entries()) out.push((await write(id, i))[0]!);
  return out;
}
