/**
 * Read side of the public event stream, for feeds: which entries a feed shows, with texts picked for one
 * locale. Every event is its own entry (an update, a resolution, a milestone moved, a notice, a maintenance
 * step), so a reader sees "resolved" as news and not only "created". Markdown stays Markdown here; the feed
 * renderer turns it into HTML for its medium.
 *
 * Also `publicVersion`: the latest public write time, for the documents' Last-Modified and "updated" fields.
 * It runs when a document is built, not per request: the public cache (src/http/cache) keeps built documents
 * until the content version (src/services/content-version.ts) moves.
 */
import { eq, inArray, sql } from 'drizzle-orm';
import { incidents, services } from '../../db/schema/index.ts';
import { pickText } from '../domain/i18n.ts';
import type { EventType, Locale } from '../domain/vocab.ts';
import type { Ctx } from './context.ts';
import { listEvents } from './events.ts';
import type { ServiceRef, Text } from './views.ts';

export type FeedScope = { kind: 'site' } | { kind: 'service'; key: string } | { kind: 'incident'; id: string };

export type FeedEntry = {
  /** The event id: stable, never reused, the entry's identity in every feed. */
  id: string;
  type: EventType;
  occurredAt: Date;
  /** What the event stored as its title: the incident, milestone, notice, maintenance or service name. */
  title: Text;
  /** Markdown, or null. */
  body: Text | null;
  incidentId: string | null;
  /** The incident's current title, for entries about something inside an incident (milestone, notice). */
  incidentTitle: Text | null;
  maintenanceId: string | null;
  /** The row the event is about (the update id for incident events: the anchor on the incident page). */
  subjectId: string;
  /** Affected services that exist, in catalogue order. */
  services: ServiceRef[];
  data: Record<string, unknown>;
};

export type FeedView = {
  scope: FeedScope;
  locale: Locale;
  /** The service's name or the incident's title; null for the whole site. */
  subject: Text | null;
  entries: FeedEntry[];
};

export const FEED_LIMIT = { site: 50, service: 50, incident: 200 } as const;

const pick = (value: Parameters<typeof pickText>[0], locale: Locale): Text => {
  const p = pickText(value, locale);
  return { text: p.text, locale: p.locale };
};

/** The feed for the whole site, one service or one incident; null when the service or incident does not exist. */
export async function getFeed(
  ctx: Ctx,
  { scope, locale, limit }: { scope: FeedScope; locale: Locale; limit?: number },
): Promise<FeedView | null> {
  let subject: Text | null = null;
  if (scope.kind === 'service') {
    const [row] = await ctx.db.select({ name: services.name }).from(services).where(eq(services.key, scope.key));
    if (!row) return null;
    subject = pick(row.name, locale);
  } else if (scope.kind === 'incident') {
    const [row] = await ctx.db.select({ title: incidents.title }).from(incidents).where(eq(incidents.id, scope.id));
    if (!row) return null;
    subject = pick(row.title, locale);
  }
  const events = await listEvents(ctx, {
    incidentId: scope.kind === 'incident' ? scope.id : undefined,
    serviceKey: scope.kind === 'service' ? scope.key : undefined,
    limit: limit ?? FEED_LIMIT[scope.kind],
  });
  const incidentIds = [...new Set(events.map((e) => e.incidentId).filter((id): id is string => !!id))];
  const [serviceRows, incidentRows] = await Promise.all([
    ctx.db
      .select({ key: services.key, name: services.name, sortOrder: services.sortOrder })
      .from(services)
      .orderBy(services.sortOrder, services.key),
    incidentIds.length
      ? ctx.db.select({ id: incidents.id, title: incidents.title }).from(incidents).where(inArray(incidents.id, incidentIds))
      : [],
  ]);
  const order = new Map(serviceRows.map((s, i) => [s.key, i]));
  const names = new Map(serviceRows.map((s) => [s.key, pick(s.name, locale).text]));
  const titles = new Map(incidentRows.map((i) => [i.id, pick(i.title, locale)]));
  return {
    scope,
    locale,
    subject,
    entries: events.map((e) => ({
      id: e.id,
      type: e.type,
      occurredAt: e.occurredAt,
      title: pick(e.title, locale),
      body: e.body && pickText(e.body, locale).text.trim() !== '' ? pick(e.body, locale) : null,
      incidentId: e.incidentId,
      incidentTitle: e.incidentId ? (titles.get(e.incidentId) ?? null) : null,
      maintenanceId: e.maintenanceId,
      subjectId: e.subjectId,
      services: e.serviceKeys
        .filter((key) => names.has(key))
        .sort((a, b) => order.get(a)! - order.get(b)!)
        .map((key) => ({ key, name: names.get(key)! })),
      data: e.data,
    })),
  };
}

export type PublicVersion = {
  /** Opaque: equal values mean nothing shown publicly has been written in between. */
  tag: string;
  /** The latest write time seen, or null on an empty database. */
  lastChange: Date | null;
};

/**
 * A fingerprint of everything the public surfaces read, in one round trip: the newest event, write times
 * and row counts of the tables behind the pages. Counts catch deletions; write times catch edits. Changes that
 * leave no trace here (a rename of a service, which has no updated_at yet) are caught by the callers' time
 * bucket, so a cached document is never older than that bucket.
 */
export async function publicVersion(ctx: Ctx): Promise<PublicVersion> {
  const result = await ctx.db.execute(sql`
    select
      (select coalesce(max(seq), 0) from events)::text as seq,
      (select count(*) from events)::text as events,
      (select max(updated_at) from incidents) as incidents,
      (select count(*) from incidents)::text as incident_count,
      (select max(created_at) from incident_updates) as updates,
      (select count(*) from incident_updates)::text as update_count,
      (select max(updated_at) from milestones) as milestones,
      (select count(*) from milestones)::text as milestone_count,
      (select max(updated_at) from incident_faq) as faq,
      (select count(*) from incident_faq)::text as faq_count,
      (select max(greatest(created_at, coalesce(closed_at, created_at))) from data_gap_notices) as notices,
      (select count(*) from data_gap_notices)::text as notice_count,
      (select max(updated_at) from maintenances) as maintenances,
      (select count(*) from maintenances)::text as maintenance_count,
      (select max(created_at) from services) as services,
      (select count(*) from services)::text as service_count,
      (select max(greatest(started_at, coalesce(ended_at, started_at))) from status_intervals) as intervals,
      (select count(*) from status_intervals)::text as interval_count,
      (select max(measured_at) from backlog_samples) as backlog,
      (select count(*) from backlog_samples)::text as backlog_count
  `);
  // postgres.js returns the rows array itself, PGlite an object with `rows`.
  const rows = (Array.isArray(result) ? result : (result as { rows: unknown[] }).rows) as Record<string, unknown>[];
  const row = rows[0] ?? {};
  const times: Date[] = [];
  const parts = Object.keys(row)
    .sort()
    .map((key) => {
      const value = row[key];
      if (value === null || value === undefined) return `${key}=`;
      if (value instanceof Date || (typeof value === 'string' && /^\d{4}-\d\d-\d\d[ T]/.test(value))) {
        const d = value instanceof Date ? value : new Date(value.replace(' ', 'T').replace(/([+-]\d\d)$/, '$1:00'));
        if (!Number.isNaN(d.getTime())) times.push(d);
        return `${key}=${Number.isNaN(d.getTime()) ? String(value) : d.getTime()}`;
      }
      return `${key}=${String(value)}`;
    });
  const lastChange = times.length ? new Date(Math.max(...times.map((t) => t.getTime()))) : null;
  return { tag: parts.join('&'), lastChange };
}
