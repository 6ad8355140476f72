import { eq, max } from 'drizzle-orm';
import { incidentFaq, incidents, milestones, services } from '../../db/schema/index.ts';
import { milestoneTransitionError } from '../domain/lifecycle.ts';
import { recordAudit } from './audit.ts';
import { emitEvent } from './events.ts';
import { incidentServiceKeys } from './incidents.ts';
import { serviceIdsByKey } from './catalog.ts';
import { type Ctx, inTransaction } from './context.ts';
import { ServiceError, notFound, parseInput } from './errors.ts';
import { AddFaqEntryInput, AddMilestoneInput, ChangeMilestoneInput, type In } from './inputs.ts';

async function assertIncident(ctx: Ctx, incidentId: string) {
  const [row] = await ctx.db.select({ id: incidents.id }).from(incidents).where(eq(incidents.id, incidentId));
  if (!row) throw notFound('incident', incidentId);
}

export async function addMilestone(ctx: Ctx, input: In<typeof AddMilestoneInput>) {
  const data = parseInput(AddMilestoneInput, input);
  return inTransaction(ctx, async (tx) => {
    await assertIncident(tx, data.incidentId);
    const serviceId = data.service ? (await serviceIdsByKey(tx, [data.service])).get(data.service) : undefined;
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
    await emitMilestoneEvent(tx, row!, data.service);
    return row!;
  });
}

/** Moves a milestone along its lifecycle: starting, completing, delaying (new date and reason) or cancelling. */
export async function changeMilestone(ctx: Ctx, input: In<typeof ChangeMilestoneInput>) {
  const data = parseInput(ChangeMilestoneInput, input);
  return inTransaction(ctx, async (tx) => {
    const [current] = await tx.db.select().from(milestones).where(eq(milestones.id, data.milestoneId)).for('update');
    if (!current) throw notFound('milestone', data.milestoneId);
    const reason = milestoneTransitionError(current.state, data.state);
    if (reason) throw new ServiceError('validation_failed', reason, { state: reason });
    if (data.state === 'delayed' && (!data.expectedAt || !data.delayReason)) {
      throw new ServiceError('validation_failed', 'A delay needs a new expected date and a reason.', {
        ...(data.expectedAt ? {} : { expectedAt: 'required when delaying' }),
        ...(data.delayReason ? {} : { delayReason: 'required when delaying' }),
      });
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
    await emitMilestoneEvent(tx, row!);
    return row!;
  });
}

/** Readers follow the plan: every new or moved milestone is announced on the incident and its service. */
async function emitMilestoneEvent(tx: Ctx, m: typeof milestones.$inferSelect, serviceKey?: string) {
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
  const data = parseInput(AddFaqEntryInput, input);
  return inTransaction(ctx, async (tx) => {
    await assertIncident(tx, data.incidentId);
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
