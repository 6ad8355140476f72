import { and, asc, count, desc, eq, gt, inArray, isNull, max, ne, notInArray, sql } from 'drizzle-orm';
import {
  auditLog,
  dataGapNotices,
  incidentFaq,
  incidentServices,
  incidentUpdateServices,
  incidentUpdates,
  incidents,
  milestones,
  operators,
  services,
  statusIntervals,
} from '../../db/schema/index.ts';
import { allowedNext, incidentTransitionError, isOpenMilestone, isOverdue } from '../domain/lifecycle.ts';
import type { IncidentStatus, LocalizedText, ServiceStatus, StatusSource } from '../domain/vocab.ts';
import { recordAudit } from './audit.ts';
import { emitEvent } from './events.ts';
import { applyStatus, serviceIdsByKey } from './catalog.ts';
import { type Ctx, inTransaction } from './context.ts';
import { ServiceError, notFound, parseInput } from './errors.ts';
import {
  CreateIncidentInput,
  type In,
  ListIncidentsInput,
  PostIncidentUpdateInput,
  PublishPostmortemInput,
  ResolveIncidentInput,
  UpdateIncidentInput,
} from './inputs.ts';
import { authorize } from './permissions.ts';

export type IncidentRow = typeof incidents.$inferSelect;

export async function createIncident(ctx: Ctx, input: In<typeof CreateIncidentInput>) {
  authorize(ctx.actor, 'write');
  const data = parseInput(CreateIncidentInput, input);
  if (data.status === 'postmortem') throw postmortemNeedsText();
  return inTransaction(ctx, async (tx) => {
    const startedAt = data.startedAt ?? tx.now();
    if (data.status !== 'resolved') assertPromiseAhead(data.nextUpdateBy, undefined, startedAt);
    const [row] = await tx.db
      .insert(incidents)
      .values({
        title: data.title,
        impact: data.impact,
        status: data.status,
        startedAt,
        resolvedAt: data.status === 'resolved' ? startedAt : null,
        // A resolved incident promises nothing more.
        nextUpdateBy: data.status === 'resolved' ? null : data.nextUpdateBy,
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
      dateField: 'startedAt',
      notify: data.notify,
      event: 'incident.created',
    });
    return { incident, update };
  });
}

/** `handedOver`: resolving's services that go to another open incident (see resolveIncident), changes of this update. */
export async function postIncidentUpdate(ctx: Ctx, input: In<typeof PostIncidentUpdateInput>, handedOver: HandedOver[] = []) {
  authorize(ctx.actor, 'write');
  const data = parseInput(PostIncidentUpdateInput, input);
  return inTransaction(ctx, async (tx) => {
    const [current] = await tx.db.select().from(incidents).where(eq(incidents.id, data.incidentId)).for('update');
    if (!current) throw notFound('incident', data.incidentId);
    if (data.expectedVersion !== undefined && data.expectedVersion !== current.version) {
      throw await versionConflict(tx, current, data.expectedVersion, 'post again');
    }
    const reason = incidentTransitionError(current.status, data.status);
    if (reason) throw new ServiceError('validation_failed', reason, { status: reason });
    // An update cannot carry the postmortem text: moving to postmortem here would leave it empty for good.
    if (data.status === 'postmortem') throw postmortemNeedsText();

    const displayAt = data.displayAt ?? tx.now();
    if (data.status !== 'resolved') assertPromiseAhead(data.nextUpdateBy, current.nextUpdateBy, displayAt);
    const resolving = data.status === 'resolved' && current.status !== 'resolved';
    const reopening = current.status === 'resolved' && data.status !== 'resolved';
    const [row] = await tx.db
      .update(incidents)
      .set({
        status: data.status,
        impact: data.impact ?? current.impact,
        resolvedAt: resolving ? displayAt : reopening ? null : current.resolvedAt,
        // A resolved incident promises nothing more (a later note on it neither); otherwise absent keeps the
        // promise, null clears it.
        nextUpdateBy:
          data.status === 'resolved' ? null : data.nextUpdateBy === undefined ? current.nextUpdateBy : data.nextUpdateBy,
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
    // Resolving does not close the plan: what is left open stays public, as follow-up work. The caller is told, so
    // that an operator (or a script) who meant to finish the plan first notices, and so is every webhook.
    const openMilestones = resolving ? (await planOf(tx, incident.id)).filter((m) => isOpenMilestone(m.state)) : [];
    const update = await writeUpdate(tx, incident, {
      status: data.status,
      body: data.body,
      services: [...data.services, ...handedOver],
      displayAt,
      dateField: 'displayAt',
      notify: data.notify,
      event: resolving ? 'incident.resolved' : 'incident.updated',
      openMilestones: resolving ? openMilestones : undefined,
    });
    return { incident, update, openMilestones };
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

/** A service an update moves to the status another open incident gave it, which then holds its status. */
type HandedOver = { service: string; status: ServiceStatus; heldBy: string };

/** Inserts the update, links affected services and moves their status history, all in the caller's transaction. */
async function writeUpdate(
  tx: Ctx,
  incident: IncidentRow,
  u: {
    status: IncidentRow['status'];
    body: LocalizedText;
    services: ({ service: string; status: ServiceStatus } | HandedOver)[];
    displayAt: Date;
    /** The input field displayAt came from, for a status change refused because of its date. */
    dateField: 'startedAt' | 'displayAt';
    notify: boolean;
    event: 'incident.created' | 'incident.updated' | 'incident.resolved';
    /** A resolution's event lists the plan's milestones still open, as the resolving call answers them. */
    openMilestones?: PlanMilestone[];
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
    const incidentId = 'heldBy' in s ? s.heldBy : incident.id;
    const change = await applyStatus(tx, serviceId, s.status, 'incident', u.displayAt, { incidentId }).catch(
      (error: unknown) => {
        // applyStatus names its own `at`; the caller sent startedAt or displayAt, for one of several services.
        if (error instanceof ServiceError && error.fields?.at) {
          throw new ServiceError(error.code, `${s.service}: ${error.message}`, {
            [u.dateField]: `before the current status of ${s.service} began`,
          });
        }
        throw error;
      },
    );
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
      changes: u.services.map(({ service, status }) => ({ service, status })),
      ...(u.openMilestones && {
        openMilestones: u.openMilestones.map((m) => ({
          id: m.id,
          title: m.title,
          state: m.state,
          expectedAt: m.expectedAt?.toISOString() ?? null,
          service: m.serviceKey ?? null,
        })),
      }),
    },
  });
  return update;
}

/**
 * A new promise must lie after the moment it is made (now, or the time a backdated update shows): one already
 * past would read "overdue" from the moment it is published, and is most likely a typo in the date. Keeping the
 * promise the incident already has is not a new one.
 */
function assertPromiseAhead(promise: Date | null | undefined, current: Date | null | undefined, madeAt: Date): void {
  if (!promise || promise.getTime() === current?.getTime() || promise.getTime() > madeAt.getTime()) return;
  throw new ServiceError('validation_failed', 'The next update must be promised for a time still ahead.', {
    nextUpdateBy: 'must be in the future',
  });
}

function postmortemNeedsText(): ServiceError {
  return new ServiceError(
    'validation_failed',
    'The postmortem is published on a resolved incident with its own text (publish postmortem), not as an update.',
    { status: 'publish the postmortem instead' },
  );
}

export async function publishPostmortem(ctx: Ctx, input: In<typeof PublishPostmortemInput>) {
  authorize(ctx.actor, 'write');
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

// ---------------------------------------------------------------------------------------------------------
// Console: edit, resolve, list, load for editing.

const OPEN_STATUSES: IncidentStatus[] = ['investigating', 'identified', 'monitoring'];

/**
 * Edits the incident itself (title, impact, promised next update) without posting an update. The author must
 * send the version they saw; if someone wrote in between, the conflict names what changed and who changed it.
 */
export async function updateIncident(ctx: Ctx, input: In<typeof UpdateIncidentInput>): Promise<IncidentRow> {
  authorize(ctx.actor, 'write');
  const data = parseInput(UpdateIncidentInput, input);
  return inTransaction(ctx, async (tx) => {
    const [current] = await tx.db.select().from(incidents).where(eq(incidents.id, data.incidentId)).for('update');
    if (!current) throw notFound('incident', data.incidentId);
    if (data.expectedVersion !== current.version) throw await versionConflict(tx, current, data.expectedVersion, 'save again');
    if (data.nextUpdateBy && !OPEN_STATUSES.includes(current.status)) {
      throw new ServiceError('validation_failed', `The incident is ${current.status}: it promises no next update.`, {
        nextUpdateBy: 'only for an open incident',
      });
    }
    assertPromiseAhead(data.nextUpdateBy, current.nextUpdateBy, tx.now());
    const patch = {
      title: data.title ?? current.title,
      impact: data.impact ?? current.impact,
      nextUpdateBy: data.nextUpdateBy === undefined ? current.nextUpdateBy : data.nextUpdateBy,
    };
    const unchanged =
      stableJson(patch.title) === stableJson(current.title) &&
      patch.impact === current.impact &&
      patch.nextUpdateBy?.getTime() === current.nextUpdateBy?.getTime();
    if (unchanged) return current;
    const [row] = await tx.db
      .update(incidents)
      .set({ ...patch, version: current.version + 1, updatedAt: tx.now() })
      .where(eq(incidents.id, current.id))
      .returning();
    await recordAudit(tx, { action: 'incident.edit', objectType: 'incident', objectId: current.id, before: current, after: row });
    return row!;
  });
}

/**
 * Posts the resolving update. Unless `restoreServices` is false, every service whose current status this
 * incident set goes back to operational, or, when another open incident also affects it, to what that incident
 * last announced for it (unless a status set by hand, a maintenance or a heartbeat has replaced that since).
 * Services whose status was set since by someone else (by hand, a maintenance, a heartbeat, another incident)
 * are left alone. Explicit `services` entries win.
 */
export async function resolveIncident(ctx: Ctx, input: In<typeof ResolveIncidentInput>) {
  authorize(ctx.actor, 'write');
  const data = parseInput(ResolveIncidentInput, input);
  return inTransaction(ctx, async (tx) => {
    const [current] = await tx.db.select().from(incidents).where(eq(incidents.id, data.incidentId)).for('update');
    if (!current) throw notFound('incident', data.incidentId);
    if (data.expectedVersion !== undefined && data.expectedVersion !== current.version) {
      throw await versionConflict(tx, current, data.expectedVersion, 'resolve again if still needed');
    }
    if (!OPEN_STATUSES.includes(current.status)) {
      throw new ServiceError('conflict', `The incident is already ${current.status}.`, { status: `already ${current.status}` });
    }
    const explicit = new Set(data.services.map((s) => s.service));
    const restore: { service: string; status: ServiceStatus }[] = [];
    const handOver: { key: string; openId: string; current: ServiceStatus; status: ServiceStatus; incidentId: string }[] = [];
    if (data.restoreServices) {
      const linked = await tx.db
        .select({ serviceId: services.id, key: services.key, open: statusIntervals })
        .from(incidentServices)
        .innerJoin(services, eq(services.id, incidentServices.serviceId))
        .innerJoin(statusIntervals, and(eq(statusIntervals.serviceId, services.id), isNull(statusIntervals.endedAt)))
        .where(eq(incidentServices.incidentId, current.id));
      for (const { serviceId, key, open } of linked) {
        if (explicit.has(key) || open.incidentId !== current.id) continue;
        const [other] = await tx.db
          .select({ incidentId: incidentUpdates.incidentId, status: incidentUpdateServices.newStatus, at: incidentUpdates.displayAt })
          .from(incidentUpdateServices)
          .innerJoin(incidentUpdates, eq(incidentUpdates.id, incidentUpdateServices.updateId))
          .innerJoin(incidents, eq(incidents.id, incidentUpdates.incidentId))
          .where(
            and(
              eq(incidentUpdateServices.serviceId, serviceId),
              ne(incidents.id, current.id),
              inArray(incidents.status, OPEN_STATUSES),
            ),
          )
          .orderBy(desc(incidentUpdates.displayAt), desc(incidentUpdates.createdAt))
          .limit(1);
        // A status set since that announcement by hand, a maintenance or a heartbeat ended its claim: the
        // service was no longer as that incident said when this one took it over.
        const [superseded] = other
          ? await tx.db
              .select({ id: statusIntervals.id })
              .from(statusIntervals)
              .where(and(eq(statusIntervals.serviceId, serviceId), gt(statusIntervals.startedAt, other.at), isNull(statusIntervals.incidentId)))
              .limit(1)
          : [];
        if (other && !superseded) handOver.push({ key, openId: open.id, current: open.status, status: other.status, incidentId: other.incidentId });
        else if (open.status !== 'operational') restore.push({ service: key, status: 'operational' });
      }
    }
    // A service whose status moves to the other incident's is a change of this update, named in it like any other.
    const moved = handOver.filter((h) => h.status !== h.current);
    const result = await postIncidentUpdate(
      tx,
      {
        incidentId: current.id,
        status: 'resolved',
        body: data.body,
        services: [...data.services, ...restore],
        displayAt: data.displayAt,
        notify: data.notify,
      },
      moved.map((h) => ({ service: h.key, status: h.status, heldBy: h.incidentId })),
    );
    for (const h of handOver.filter((x) => x.status === x.current)) {
      // Same status: the open interval now belongs to the incident still running.
      await tx.db.update(statusIntervals).set({ incidentId: h.incidentId }).where(eq(statusIntervals.id, h.openId));
    }
    return result;
  });
}

export type IncidentListItem = Pick<
  IncidentRow,
  'id' | 'title' | 'impact' | 'status' | 'startedAt' | 'resolvedAt' | 'nextUpdateBy' | 'version' | 'updatedAt'
> & {
  open: boolean;
  /** The promised next update is late. */
  overdue: boolean;
  lastUpdateAt: Date | null;
  updateCount: number;
  serviceKeys: string[];
};

/** The console's incident list: open incidents first (newest first), then closed ones, newest first. */
export async function listIncidents(
  ctx: Ctx,
  input: In<typeof ListIncidentsInput> = {},
): Promise<{ items: IncidentListItem[]; total: number }> {
  authorize(ctx.actor, 'read');
  const data = parseInput(ListIncidentsInput, input);
  const where =
    data.filter === 'open'
      ? inArray(incidents.status, OPEN_STATUSES)
      : data.filter === 'closed'
        ? notInArray(incidents.status, OPEN_STATUSES)
        : undefined;
  const [{ total } = { total: 0 }] = await ctx.db.select({ total: count() }).from(incidents).where(where);
  const openFirst = sql`case when ${inArray(incidents.status, OPEN_STATUSES)} then 0 else 1 end`;
  const rows = await ctx.db
    .select()
    .from(incidents)
    .where(where)
    .orderBy(openFirst, desc(incidents.startedAt), desc(incidents.id))
    .limit(data.limit)
    .offset(data.offset);
  return { items: await toListItems(ctx, rows), total };
}

/** Adds the last update time, update count and service keys to incident rows, keeping their order. */
export async function toListItems(ctx: Ctx, rows: IncidentRow[]): Promise<IncidentListItem[]> {
  if (rows.length === 0) return [];
  const ids = rows.map((r) => r.id);
  const stats = await ctx.db
    .select({ incidentId: incidentUpdates.incidentId, last: max(incidentUpdates.displayAt), n: count() })
    .from(incidentUpdates)
    .where(inArray(incidentUpdates.incidentId, ids))
    .groupBy(incidentUpdates.incidentId);
  const keys = await ctx.db
    .select({ incidentId: incidentServices.incidentId, key: services.key })
    .from(incidentServices)
    .innerJoin(services, eq(services.id, incidentServices.serviceId))
    .where(inArray(incidentServices.incidentId, ids));
  const now = ctx.now();
  return rows.map((r) => {
    const stat = stats.find((s) => s.incidentId === r.id);
    const open = OPEN_STATUSES.includes(r.status);
    return {
      id: r.id,
      title: r.title,
      impact: r.impact,
      status: r.status,
      startedAt: r.startedAt,
      resolvedAt: r.resolvedAt,
      nextUpdateBy: r.nextUpdateBy,
      version: r.version,
      updatedAt: r.updatedAt,
      open,
      overdue: open && isOverdue(r.nextUpdateBy, now),
      lastUpdateAt: stat?.last ? new Date(stat.last) : null,
      updateCount: stat?.n ?? 0,
      serviceKeys: keys.filter((k) => k.incidentId === r.id).map((k) => k.key).sort(),
    };
  });
}

export type IncidentForEdit = {
  /** The row, with the `version` to send back as `expectedVersion`. */
  incident: IncidentRow;
  overdue: boolean;
  /** The statuses the next update may set (the lifecycle). */
  allowedStatuses: readonly IncidentStatus[];
  /** Services the incident has touched, with their status now and whether this incident set it. */
  services: { id: string; key: string; name: LocalizedText; status: ServiceStatus; source: StatusSource; setByThisIncident: boolean }[];
  /** Newest first, with the status changes each announced. */
  updates: (typeof incidentUpdates.$inferSelect & { changes: { service: string; oldStatus: ServiceStatus | null; newStatus: ServiceStatus }[] })[];
  milestones: PlanMilestone[];
  faq: (typeof incidentFaq.$inferSelect)[];
  notices: (typeof dataGapNotices.$inferSelect)[];
};

/** Everything the console's incident editor needs, in one call. */
export async function getIncidentForEdit(ctx: Ctx, input: { incidentId: string }): Promise<IncidentForEdit> {
  authorize(ctx.actor, 'read');
  const incidentId = String(input?.incidentId ?? '');
  const [incident] = await ctx.db.select().from(incidents).where(eq(incidents.id, incidentId));
  if (!incident) throw notFound('incident', incidentId);
  const linked = await ctx.db
    .select({ id: services.id, key: services.key, name: services.name, open: statusIntervals })
    .from(incidentServices)
    .innerJoin(services, eq(services.id, incidentServices.serviceId))
    .leftJoin(statusIntervals, and(eq(statusIntervals.serviceId, services.id), isNull(statusIntervals.endedAt)))
    .where(eq(incidentServices.incidentId, incidentId))
    .orderBy(asc(services.sortOrder), asc(services.key));
  const updates = await ctx.db
    .select()
    .from(incidentUpdates)
    .where(eq(incidentUpdates.incidentId, incidentId))
    .orderBy(desc(incidentUpdates.displayAt), desc(incidentUpdates.createdAt));
  const changes = updates.length
    ? await ctx.db
        .select({ updateId: incidentUpdateServices.updateId, service: services.key, oldStatus: incidentUpdateServices.oldStatus, newStatus: incidentUpdateServices.newStatus })
        .from(incidentUpdateServices)
        .innerJoin(services, eq(services.id, incidentUpdateServices.serviceId))
        .where(inArray(incidentUpdateServices.updateId, updates.map((u) => u.id)))
    : [];
  const plan = await planOf(ctx, incidentId);
  const faq = await ctx.db.select().from(incidentFaq).where(eq(incidentFaq.incidentId, incidentId)).orderBy(asc(incidentFaq.sortOrder), asc(incidentFaq.createdAt));
  const notices = await ctx.db.select().from(dataGapNotices).where(eq(dataGapNotices.incidentId, incidentId)).orderBy(desc(dataGapNotices.publishedAt));
  return {
    incident,
    overdue: OPEN_STATUSES.includes(incident.status) && isOverdue(incident.nextUpdateBy, ctx.now()),
    allowedStatuses: allowedNext('incident', incident.status),
    services: linked.map((l) => ({
      id: l.id,
      key: l.key,
      name: l.name,
      status: l.open?.status ?? 'operational',
      source: l.open?.source ?? 'manual',
      setByThisIncident: l.open?.incidentId === incidentId,
    })),
    updates: updates.map((u) => ({
      ...u,
      changes: changes.filter((c) => c.updateId === u.id).map(({ updateId: _u, ...c }) => c),
    })),
    milestones: plan,
    faq,
    notices,
  };
}

type PlanMilestone = typeof milestones.$inferSelect & { serviceKey: string | null };

/** The incident's recovery plan in its order, each milestone with the key of the service it restores. */
async function planOf(ctx: Ctx, incidentId: string): Promise<PlanMilestone[]> {
  const rows = await ctx.db
    .select({ milestone: milestones, serviceKey: services.key })
    .from(milestones)
    .leftJoin(services, eq(services.id, milestones.serviceId))
    .where(eq(milestones.incidentId, incidentId))
    .orderBy(asc(milestones.sortOrder), asc(milestones.createdAt));
  return rows.map((r) => ({ ...r.milestone, serviceKey: r.serviceKey }));
}

// ---------------------------------------------------------------------------------------------------------
// Version conflicts that say what changed.

const WATCHED_FIELDS = ['status', 'impact', 'title', 'nextUpdateBy', 'resolvedAt', 'postmortem'] as const;

/**
 * The conflict of a write based on an old version, with what it found as facts besides the (English) message, so
 * that the console can say it in its own language.
 */
export class VersionConflict extends ServiceError {
  // Plain fields, not constructor parameter properties (see ServiceError).
  /** The incident's fields that differ from the version the author started from. */
  readonly changed: (typeof WATCHED_FIELDS)[number][];
  /** Updates posted since that version. */
  readonly newUpdates: number;
  /** Who wrote since: operators by name, other actors as recorded ("token:<id>"). */
  readonly by: string[];
  constructor(message: string, fields: Record<string, string>, facts: Pick<VersionConflict, 'changed' | 'newUpdates' | 'by'>) {
    super('conflict', message, fields);
    this.name = 'VersionConflict';
    this.changed = facts.changed;
    this.newUpdates = facts.newUpdates;
    this.by = facts.by;
  }
}

/**
 * The conflict error for a write based on an old version: compares the incident as the author saw it (from the
 * audit row that produced their version) with the incident now, and names the fields, the updates posted since
 * and who wrote them.
 */
async function versionConflict(tx: Ctx, current: IncidentRow, expected: number, retry: string): Promise<VersionConflict> {
  const history = await tx.db
    .select({ actor: auditLog.actor, action: auditLog.action, after: auditLog.after })
    .from(auditLog)
    .where(and(eq(auditLog.objectType, 'incident'), eq(auditLog.objectId, current.id)))
    .orderBy(asc(auditLog.at));
  const versionOf = (a: unknown) => (a && typeof a === 'object' ? Number((a as { version?: unknown }).version) : NaN);
  const seen = history.find((h) => versionOf(h.after) === expected)?.after as Record<string, unknown> | undefined;
  const later = history.filter((h) => versionOf(h.after) > expected);

  const changedFields: (typeof WATCHED_FIELDS)[number][] = [];
  const changed: string[] = [];
  const fields: Record<string, string> = { expectedVersion: `current version is ${current.version}` };
  if (seen) {
    const now = JSON.parse(JSON.stringify(current)) as Record<string, unknown>;
    for (const f of WATCHED_FIELDS) {
      if (stableJson(seen[f] ?? null) === stableJson(now[f] ?? null)) continue;
      const describe = (v: unknown) => (v == null ? 'none' : typeof v === 'string' ? v : (v as LocalizedText).it ?? stableJson(v));
      changedFields.push(f);
      changed.push(f === 'status' || f === 'impact' ? `${f} (${describe(seen[f])} → ${describe(now[f])})` : f);
      fields[f] = 'changed by someone else';
    }
  }
  const posted = later.filter((h) => h.action === 'incident.update').length;
  if (posted > 0) changed.push(`${posted} new update${posted === 1 ? '' : 's'} posted`);

  const who = await actorNames(tx, [...new Set(later.map((h) => h.actor))]);
  const what = changed.length ? ` Changed: ${changed.join('; ')}.` : '';
  const by = who.length ? ` By: ${who.join(', ')}.` : '';
  return new VersionConflict(
    `This incident changed while you were editing: it is now at version ${current.version}, you started from version ${expected}.${what}${by} Reload it, check the latest state, then ${retry}.`,
    fields,
    { changed: changedFields, newUpdates: posted, by: who },
  );
}

/** "operator:<id>" → the operator's name; other actors as recorded. */
async function actorNames(tx: Ctx, actors: string[]): Promise<string[]> {
  const ids = actors.filter((a) => a.startsWith('operator:')).map((a) => a.slice('operator:'.length));
  const rows = ids.length ? await tx.db.select({ id: operators.id, name: operators.name }).from(operators).where(inArray(operators.id, ids)) : [];
  return actors.map((a) => rows.find((r) => `operator:${r.id}` === a)?.name ?? a);
}

/** JSON with object keys sorted, so jsonb round trips (which reorder keys) compare equal. */
function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}
