import { eq } from 'drizzle-orm';
import { incidentServices, incidentUpdateServices, incidentUpdates, incidents, services } from '../../db/schema/index.ts';
import { incidentTransitionError } from '../domain/lifecycle.ts';
import type { LocalizedText } from '../domain/vocab.ts';
import { recordAudit } from './audit.ts';
import { emitEvent } from './events.ts';
import { applyStatus, serviceIdsByKey } from './catalog.ts';
import { type Ctx, inTransaction } from './context.ts';
import { ServiceError, notFound, parseInput } from './errors.ts';
import { CreateIncidentInput, type In, PostIncidentUpdateInput, PublishPostmortemInput } from './inputs.ts';

export type IncidentRow = typeof incidents.$inferSelect;

export async function createIncident(ctx: Ctx, input: In<typeof CreateIncidentInput>) {
  const data = parseInput(CreateIncidentInput, input);
  return inTransaction(ctx, async (tx) => {
    const startedAt = data.startedAt ?? tx.now();
    const [row] = await tx.db
      .insert(incidents)
      .values({
        title: data.title,
        impact: data.impact,
        status: data.status,
        startedAt,
        resolvedAt: data.status === 'resolved' ? startedAt : null,
        nextUpdateBy: data.nextUpdateBy,
        createdAt: tx.now(),
        updatedAt: tx.now(),
      })
      .returning();
    const incident = row!;
    await recordAudit(tx, { action: 'incident.create', objectType: 'incident', objectId: incident.id, after: incident });
    const update = await writeUpdate(tx, incident, {
      status: data.status,
      body: data.body,
      services: data.services,
      displayAt: startedAt,
      notify: data.notify,
      event: 'incident.created',
    });
    return { incident, update };
  });
}

export async function postIncidentUpdate(ctx: Ctx, input: In<typeof PostIncidentUpdateInput>) {
  const data = parseInput(PostIncidentUpdateInput, input);
  return inTransaction(ctx, async (tx) => {
    const [current] = await tx.db.select().from(incidents).where(eq(incidents.id, data.incidentId)).for('update');
    if (!current) throw notFound('incident', data.incidentId);
    if (data.expectedVersion !== undefined && data.expectedVersion !== current.version) {
      throw new ServiceError(
        'conflict',
        `This incident changed while you were editing (now at version ${current.version}, you started from ${data.expectedVersion}). Reload it, check the latest update, then post again.`,
        { expectedVersion: `current version is ${current.version}` },
      );
    }
    const reason = incidentTransitionError(current.status, data.status);
    if (reason) throw new ServiceError('validation_failed', reason, { status: reason });

    const displayAt = data.displayAt ?? tx.now();
    const resolving = data.status === 'resolved' && current.status !== 'resolved';
    const reopening = current.status === 'resolved' && data.status !== 'resolved' && data.status !== 'postmortem';
    const [row] = await tx.db
      .update(incidents)
      .set({
        status: data.status,
        impact: data.impact ?? current.impact,
        resolvedAt: resolving ? displayAt : reopening ? null : current.resolvedAt,
        // A resolved incident promises nothing more; otherwise absent keeps the promise, null clears it.
        nextUpdateBy: resolving ? null : data.nextUpdateBy === undefined ? current.nextUpdateBy : data.nextUpdateBy,
        version: current.version + 1,
        updatedAt: tx.now(),
      })
      .where(eq(incidents.id, current.id))
      .returning();
    const incident = row!;
    await recordAudit(tx, {
      action: 'incident.update',
      objectType: 'incident',
      objectId: incident.id,
      before: current,
      after: incident,
    });
    const update = await writeUpdate(tx, incident, {
      status: data.status,
      body: data.body,
      services: data.services,
      displayAt,
      notify: data.notify,
      event: resolving ? 'incident.resolved' : 'incident.updated',
    });
    return { incident, update };
  });
}

/** Keys of every service the incident has touched: who follows any of them hears about it. */
export async function incidentServiceKeys(ctx: Ctx, incidentId: string): Promise<string[]> {
  const rows = await ctx.db
    .select({ key: services.key })
    .from(incidentServices)
    .innerJoin(services, eq(services.id, incidentServices.serviceId))
    .where(eq(incidentServices.incidentId, incidentId));
  return rows.map((r) => r.key).sort();
}

/** Inserts the update, links affected services and moves their status history, all in the caller's transaction. */
async function writeUpdate(
  tx: Ctx,
  incident: IncidentRow,
  u: {
    status: IncidentRow['status'];
    body: LocalizedText;
    services: { service: string; status: (typeof incidentUpdateServices.$inferInsert)['newStatus'] }[];
    displayAt: Date;
    notify: boolean;
    event: 'incident.created' | 'incident.updated' | 'incident.resolved';
  },
) {
  const ids = await serviceIdsByKey(
    tx,
    u.services.map((s) => s.service),
  );
  const [row] = await tx.db
    .insert(incidentUpdates)
    .values({
      incidentId: incident.id,
      status: u.status,
      body: u.body,
      displayAt: u.displayAt,
      notify: u.notify,
      createdAt: tx.now(),
    })
    .returning();
  const update = row!;
  for (const s of u.services) {
    const serviceId = ids.get(s.service)!;
    const change = await applyStatus(tx, serviceId, s.status, 'incident', u.displayAt, { incidentId: incident.id });
    await tx.db.insert(incidentUpdateServices).values({
      updateId: update.id,
      serviceId,
      oldStatus: change.oldStatus,
      newStatus: s.status,
    });
    await tx.db.insert(incidentServices).values({ incidentId: incident.id, serviceId }).onConflictDoNothing();
  }
  await emitEvent(tx, {
    type: u.event,
    subjectId: update.id,
    incidentId: incident.id,
    serviceKeys: await incidentServiceKeys(tx, incident.id),
    title: incident.title,
    body: u.body,
    notify: u.notify,
    occurredAt: u.displayAt,
    data: {
      status: u.status,
      impact: incident.impact,
      nextUpdateBy: incident.nextUpdateBy?.toISOString() ?? null,
      changes: u.services,
    },
  });
  return update;
}

export async function publishPostmortem(ctx: Ctx, input: In<typeof PublishPostmortemInput>) {
  const data = parseInput(PublishPostmortemInput, input);
  return inTransaction(ctx, async (tx) => {
    const [current] = await tx.db.select().from(incidents).where(eq(incidents.id, data.incidentId)).for('update');
    if (!current) throw notFound('incident', data.incidentId);
    const reason = incidentTransitionError(current.status, 'postmortem');
    if (reason) throw new ServiceError('validation_failed', reason, { status: reason });
    const at = data.at ?? tx.now();
    const [row] = await tx.db
      .update(incidents)
      .set({ status: 'postmortem', postmortem: data.body, postmortemAt: at, version: current.version + 1, updatedAt: tx.now() })
      .where(eq(incidents.id, current.id))
      .returning();
    await recordAudit(tx, { action: 'incident.postmortem', objectType: 'incident', objectId: current.id, before: current, after: row });
    await emitEvent(tx, {
      type: 'incident.postmortem',
      subjectId: current.id,
      incidentId: current.id,
      serviceKeys: await incidentServiceKeys(tx, current.id),
      title: current.title,
      body: data.body,
      occurredAt: at,
      data: { status: 'postmortem', impact: current.impact },
    });
    return row!;
  });
}
