/**
 * Read side for the Statuspage-compatible API and the other machine-readable public surfaces: the facts the
 * page views in read.ts do not carry (creation times, posting times, notification flags, the full maintenance
 * list). Which incidents are open and which services are shown still come from read.ts: this module never
 * decides visibility on its own.
 */
import { desc, eq, inArray, min } from 'drizzle-orm';
import { events, incidentUpdates, incidents, maintenanceServices, maintenances, services, statusIntervals } from '../../db/schema/index.ts';
import { pickText } from '../domain/i18n.ts';
import type { EventType, Locale, MaintenanceStatus } from '../domain/vocab.ts';
import type { Ctx } from './context.ts';
import { getIncidentPage } from './read.ts';
import type { IncidentPage, MaintenanceView, ServiceRef, Text } from './views.ts';

export type ServiceFacts = {
  id: string;
  key: string;
  name: Text;
  description: Text | null;
  group: Text | null;
  /** The Italian group name: groups are keyed by it so their ids do not change with the reader's language. */
  groupKey: string | null;
  sortOrder: number;
  /** When the service's public history starts: its creation, or its first status if that is earlier (imported history). */
  createdAt: Date;
};

/** Every service in catalogue order, visible now or not (incidents keep naming a closed temporary channel). */
export async function listServiceFacts(ctx: Ctx, { locale }: { locale: Locale }): Promise<ServiceFacts[]> {
  const [rows, firsts] = await Promise.all([
    ctx.db.select().from(services).orderBy(services.sortOrder, services.key),
    ctx.db
      .select({ serviceId: statusIntervals.serviceId, first: min(statusIntervals.startedAt) })
      .from(statusIntervals)
      .groupBy(statusIntervals.serviceId),
  ]);
  const firstStatus = new Map(firsts.map((f) => [f.serviceId, f.first]));
  const t = (v: Parameters<typeof pickText>[0]): Text => {
    const p = pickText(v, locale);
    return { text: p.text, locale: p.locale };
  };
  return rows.map((r) => ({
    id: r.id,
    key: r.key,
    name: t(r.name),
    description: r.description && pickText(r.description, locale).text.trim() ? t(r.description) : null,
    group: r.groupName && pickText(r.groupName, locale).text.trim() ? t(r.groupName) : null,
    groupKey: r.groupName?.it.trim() || null,
    sortOrder: r.sortOrder,
    createdAt: earliest(r.createdAt, firstStatus.get(r.id) ?? null),
  }));
}

function earliest(a: Date, b: Date | null): Date {
  return b && b < a ? b : a;
}

export type IncidentDetail = IncidentPage & {
  createdAt: Date;
  updatedAt: Date;
  /** Per update id: when it was posted and whether subscribers were notified. */
  updateFacts: Map<string, { createdAt: Date; notify: boolean }>;
};

/** Full incident pages for the given ids, in the order given, with posting facts. */
export async function getIncidentDetails(ctx: Ctx, { ids, locale }: { ids: string[]; locale: Locale }): Promise<IncidentDetail[]> {
  if (ids.length === 0) return [];
  const [rows, updateRows] = await Promise.all([
    ctx.db
      .select({ id: incidents.id, createdAt: incidents.createdAt, updatedAt: incidents.updatedAt })
      .from(incidents)
      .where(inArray(incidents.id, ids)),
    ctx.db
      .select({ id: incidentUpdates.id, createdAt: incidentUpdates.createdAt, notify: incidentUpdates.notify })
      .from(incidentUpdates)
      .where(inArray(incidentUpdates.incidentId, ids)),
  ]);
  const times = new Map(rows.map((r) => [r.id, r]));
  const updateFacts = new Map(updateRows.map((u) => [u.id, { createdAt: u.createdAt, notify: u.notify }]));
  const details: IncidentDetail[] = [];
  // One at a time: PGlite runs queries one by one anyway, and a real server is spared a burst.
  for (const id of ids) {
    const page = await getIncidentPage(ctx, { id, locale });
    const time = times.get(id);
    if (!page || !time) continue;
    details.push({ ...page, createdAt: time.createdAt, updatedAt: time.updatedAt, updateFacts });
  }
  return details;
}

/** The most recent incidents by start, newest first (Statuspage's incidents.json lists the latest 50). */
export async function recentIncidentIds(ctx: Ctx, { limit }: { limit: number }): Promise<string[]> {
  const rows = await ctx.db
    .select({ id: incidents.id })
    .from(incidents)
    .orderBy(desc(incidents.startedAt), desc(incidents.createdAt))
    .limit(limit);
  return rows.map((r) => r.id);
}

export type MaintenanceStep = {
  id: string;
  type: EventType;
  status: MaintenanceStatus;
  body: Text | null;
  occurredAt: Date;
  notify: boolean;
};

export type MaintenanceDetail = MaintenanceView & {
  createdAt: Date;
  updatedAt: Date;
  /** Whether subscribers are e-mailed about this window (its steps record the choice each time). */
  notify: boolean;
  /** The maintenance's public events, newest first: its timeline. */
  steps: MaintenanceStep[];
};

const STEP_STATUS: Partial<Record<EventType, MaintenanceStatus>> = {
  'maintenance.scheduled': 'scheduled',
  'maintenance.started': 'in_progress',
  'maintenance.completed': 'completed',
};

/** Maintenances (all, or the given ids), newest scheduled start first, with their timeline of public events. */
export async function listMaintenanceDetails(
  ctx: Ctx,
  { locale, limit, ids }: { locale: Locale; limit: number; ids?: readonly string[] },
): Promise<MaintenanceDetail[]> {
  const t = (v: Parameters<typeof pickText>[0]): Text => {
    const p = pickText(v, locale);
    return { text: p.text, locale: p.locale };
  };
  if (ids && ids.length === 0) return [];
  const rows = await ctx.db
    .select()
    .from(maintenances)
    .where(ids ? inArray(maintenances.id, [...ids]) : undefined)
    .orderBy(desc(maintenances.scheduledStart))
    .limit(limit);
  if (rows.length === 0) return [];
  const found = rows.map((r) => r.id);
  const [links, serviceRows, eventRows] = await Promise.all([
    ctx.db.select().from(maintenanceServices).where(inArray(maintenanceServices.maintenanceId, found)),
    ctx.db.select({ id: services.id, key: services.key, name: services.name }).from(services),
    ctx.db.select().from(events).where(inArray(events.maintenanceId, found)).orderBy(desc(events.occurredAt), desc(events.seq)),
  ]);
  const refs = new Map<string, ServiceRef>(serviceRows.map((s) => [s.id, { key: s.key, name: t(s.name).text }]));
  return rows.map((m) => ({
    id: m.id,
    title: t(m.title),
    body: m.body && pickText(m.body, locale).text.trim() ? t(m.body) : null,
    status: m.status,
    scheduledStart: m.scheduledStart,
    scheduledEnd: m.scheduledEnd,
    startedAt: m.startedAt,
    completedAt: m.completedAt,
    services: links.filter((l) => l.maintenanceId === m.id).flatMap((l) => refs.get(l.serviceId) ?? []),
    createdAt: m.createdAt,
    updatedAt: m.updatedAt,
    notify: m.notify,
    steps: eventRows
      .filter((e) => e.maintenanceId === m.id)
      .map((e) => ({
        id: e.id,
        type: e.type,
        status: STEP_STATUS[e.type] ?? (typeof e.data.status === 'string' ? (e.data.status as MaintenanceStatus) : m.status),
        body: e.body && pickText(e.body, locale).text.trim() ? t(e.body) : null,
        occurredAt: e.occurredAt,
        notify: e.notify,
      })),
  }));
}

/** Whether an incident exists, without building its page (for 404s on cheap routes). */
export async function incidentExists(ctx: Ctx, id: string): Promise<boolean> {
  const [row] = await ctx.db.select({ id: incidents.id }).from(incidents).where(eq(incidents.id, id));
  return !!row;
}
