/**
 * RSS 2.0 (with `rss`) and Atom 1.0 (with `feed`) for the whole page, one service or one incident, in Italian
 * and English. One entry per public event, so "Risolto" is news of its own; ids are tag: URIs built from the
 * event id, never reused and the same whatever the host's feed reader does with links.
 *
 *   /feed.rss  /feed.atom                       /en/feed.rss  /en/feed.atom
 *   /services/{key}/feed.rss|atom               /en/services/{key}/feed.rss|atom
 *   /incidents/{id}/feed.rss|atom               /en/incidents/{id}/feed.rss|atom
 */
import { Feed } from 'feed';
import { type Context, Hono } from 'hono';
import RSS from 'rss';
import { pickText } from '../../domain/i18n.ts';
import { renderMarkdown } from '../../domain/markdown.ts';
import { formatDateTime, formatEndDateTime } from '../../domain/time.ts';
import type { IncidentStatus, Locale, MilestoneState } from '../../domain/vocab.ts';
import { INCIDENT_STATUSES, MILESTONE_STATES } from '../../domain/vocab.ts';
import { dict } from '../../i18n/index.ts';
import { SITE } from '../../i18n/site.ts';
import type { Ctx } from '../../services/context.ts';
import { type FeedEntry, type FeedScope, type FeedView, getFeed } from '../../services/public-feed.ts';
import {
  type Built,
  CROSS_ORIGIN_READ,
  type PublicDeps,
  escapeHtml,
  plainNotFound,
  serve,
  siteUrl,
  stripInvalidXmlChars,
} from './http.ts';
import { incidentStatusLabel, isServiceStatus, phrases, serviceStatusLabel } from './texts.ts';

export type FeedFormat = 'rss' | 'atom';

const CONTENT_TYPES: Record<FeedFormat, string> = {
  rss: 'application/rss+xml; charset=utf-8',
  atom: 'application/atom+xml; charset=utf-8',
};

/** Where a feed's own page and the feed itself live. */
export function feedPaths(scope: FeedScope): { page: string; feed: (format: FeedFormat) => string } {
  const page =
    scope.kind === 'site'
      ? '/'
      : scope.kind === 'service'
        ? `/services/${encodeURIComponent(scope.key)}`
        : `/incidents/${encodeURIComponent(scope.id)}`;
  const base = page === '/' ? '' : page;
  return { page, feed: (format) => `${base}/feed.${format}` };
}

/** The entry's identity: a tag: URI (RFC 4151) from the event id, dated by the event so it never changes. */
export function entryId(ctx: Ctx, entry: FeedEntry, locale: Locale): string {
  const host = new URL(ctx.siteUrl).hostname;
  const day = entry.occurredAt.toISOString().slice(0, 10);
  return `tag:${host},${day}:vedetta/event/${entry.id}${locale === 'it' ? '' : `/${locale}`}`;
}

const asIncidentStatus = (value: unknown): IncidentStatus | null =>
  typeof value === 'string' && (INCIDENT_STATUSES as readonly string[]).includes(value) ? (value as IncidentStatus) : null;
const asMilestoneState = (value: unknown): MilestoneState | null =>
  typeof value === 'string' && (MILESTONE_STATES as readonly string[]).includes(value) ? (value as MilestoneState) : null;
const asDate = (value: unknown): Date | null => {
  if (typeof value !== 'string' && !(value instanceof Date)) return null;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? null : d;
};

/** A title that says what happened: "[Risolto] Interruzione del data center", "Tappa completata: …". */
export function entryTitle(entry: FeedEntry, locale: Locale): string {
  const p = phrases(locale);
  const title = entry.title.text;
  switch (entry.type) {
    case 'incident.created':
    case 'incident.updated':
    case 'incident.resolved':
    case 'incident.postmortem': {
      const fallback: IncidentStatus =
        entry.type === 'incident.resolved' ? 'resolved' : entry.type === 'incident.postmortem' ? 'postmortem' : 'investigating';
      const status = asIncidentStatus(entry.data.status) ?? fallback;
      return `[${incidentStatusLabel(status, locale)}] ${title}`;
    }
    case 'milestone.updated':
      return `${p.milestone[asMilestoneState(entry.data.state) ?? 'planned']}: ${title}`;
    case 'notice.published':
      return `${entry.data.restored === true ? p.noticeRestored : p.notice}: ${title}`;
    case 'maintenance.scheduled':
      return `[${entry.data.rescheduled === true ? p.maintenance.rescheduled : p.maintenance.scheduled}] ${title}`;
    case 'maintenance.started':
      return `[${p.maintenance.started}] ${title}`;
    case 'maintenance.completed':
      // A window closed before it started never ran: it was cancelled, as its e-mail says.
      return `[${entry.data.cancelled === true ? p.maintenance.cancelled : p.maintenance.completed}] ${title}`;
    case 'service.status_changed':
      // The event says where the service went (`to`), as in the webhook payload's details.
      return isServiceStatus(entry.data.to) ? p.serviceNow(title, serviceStatusLabel(entry.data.to, locale)) : title;
    default:
      return title;
  }
}

/** The page (and anchor) an entry is about. Anchors: #update-{id}, #milestone-{id}, #notice-{id}, #postmortem. */
export function entryLink(ctx: Ctx, entry: FeedEntry, locale: Locale): string {
  const incident = entry.incidentId ? `/incidents/${encodeURIComponent(entry.incidentId)}` : null;
  const firstService = entry.services[0] ? `/services/${encodeURIComponent(entry.services[0].key)}` : null;
  switch (entry.type) {
    case 'incident.created':
    case 'incident.updated':
    case 'incident.resolved':
      return incident ? siteUrl(ctx, locale, incident, `update-${entry.subjectId}`) : siteUrl(ctx, locale, '/');
    case 'incident.postmortem':
      return incident ? siteUrl(ctx, locale, incident, 'postmortem') : siteUrl(ctx, locale, '/');
    case 'milestone.updated':
      return incident ? siteUrl(ctx, locale, incident, `milestone-${entry.subjectId}`) : siteUrl(ctx, locale, '/');
    case 'notice.published':
      return siteUrl(ctx, locale, incident ?? '/', `notice-${entry.subjectId}`);
    case 'maintenance.scheduled':
    case 'maintenance.started':
    case 'maintenance.completed':
      return siteUrl(ctx, locale, firstService ?? '/', `maintenance-${entry.maintenanceId ?? entry.subjectId}`);
    case 'service.status_changed':
      return siteUrl(ctx, locale, firstService ?? '/');
    default:
      return siteUrl(ctx, locale, incident ?? '/');
  }
}

/** The entry's HTML: the operator's Markdown (already sanitised by renderMarkdown) and the facts around it. */
export function entryHtml(ctx: Ctx, entry: FeedEntry, locale: Locale): string {
  const p = phrases(locale);
  const when = (d: Date) => escapeHtml(formatDateTime(d, locale, ctx.timeZone));
  const parts: string[] = [];
  if (entry.type === 'milestone.updated' && entry.incidentTitle) {
    parts.push(`<p><em>${escapeHtml(p.milestoneIn(entry.incidentTitle.text))}</em></p>`);
  }
  // A notice published with its texts in the event's data: its explanation first, then who and what to do below.
  const notice = entry.type === 'notice.published' && ('audience' in entry.data || 'action' in entry.data);
  const noticeText = (key: 'body' | 'audience' | 'action') => {
    const value = entry.data[key] as Parameters<typeof pickText>[0] | null | undefined;
    const text = value ? pickText(value, locale).text.trim() : '';
    return text ? renderMarkdown(text) : null;
  };
  const body = notice ? noticeText('body') : entry.body ? renderMarkdown(entry.body.text) : null;
  if (body) parts.push(body);
  switch (entry.type) {
    case 'incident.created':
    case 'incident.updated':
    case 'incident.resolved': {
      const names = new Map(entry.services.map((s) => [s.key, s.name]));
      const changes = Array.isArray(entry.data.changes) ? (entry.data.changes as { service?: unknown; status?: unknown }[]) : [];
      const items = changes.flatMap((ch) =>
        typeof ch.service === 'string' && isServiceStatus(ch.status)
          ? [`<li>${escapeHtml(names.get(ch.service) ?? ch.service)}: ${escapeHtml(serviceStatusLabel(ch.status, locale))}</li>`]
          : [],
      );
      if (items.length) parts.push(`<ul>${items.join('')}</ul>`);
      break;
    }
    case 'milestone.updated': {
      const state = asMilestoneState(entry.data.state);
      const actual = asDate(entry.data.actualAt);
      const expected = asDate(entry.data.expectedAt);
      if (state === 'done' && actual) parts.push(`<p>${escapeHtml(p.completedAt)}: ${when(actual)}</p>`);
      // Written as the pages write an expected date (midnight is 24:00 of the day before).
      else if (expected && state !== 'cancelled') parts.push(`<p>${escapeHtml(p.expected)}: ${escapeHtml(formatEndDateTime(expected, locale, ctx.timeZone))}</p>`);
      break;
    }
    case 'notice.published': {
      const windows = Array.isArray(entry.data.windows)
        ? (entry.data.windows as { scope?: { it?: string; en?: string }; restoredUntil?: unknown; gapEndsAt?: unknown; pending?: unknown }[])
        : [];
      const items = windows.flatMap((w) => {
        const restored = asDate(w.restoredUntil);
        if (!restored) return [];
        const scope = (locale === 'en' && w.scope?.en?.trim() ? w.scope.en : w.scope?.it) ?? '';
        const gap = asDate(w.gapEndsAt);
        return [
          `<li>${scope ? `${escapeHtml(scope)}: ` : ''}${escapeHtml(w.pending === true ? p.restorePending : p.restoredUntil)} ${when(restored)}${gap ? `, ${escapeHtml(p.gapUntil)} ${when(gap)}` : ''}</li>`,
        ];
      });
      if (items.length) parts.push(`<ul>${items.join('')}</ul>`);
      if (notice) {
        const d = dict(locale).notice;
        for (const [key, heading] of [['audience', d.audience], ['action', d.action]] as const) {
          const html = noticeText(key);
          if (html) parts.push(`<p><strong>${escapeHtml(heading)}</strong></p>`, html);
        }
      }
      break;
    }
    case 'maintenance.scheduled':
    case 'maintenance.started':
    case 'maintenance.completed': {
      const start = asDate(entry.data.scheduledStart);
      const end = asDate(entry.data.scheduledEnd);
      if (start && end) parts.push(`<p>${escapeHtml(p.window)}: ${when(start)} – ${when(end)}</p>`);
      const [before, after] = [asDate(entry.data.previousStart), asDate(entry.data.previousEnd)];
      if (before && after) parts.push(`<p>${escapeHtml(p.previousWindow)}: ${when(before)} – ${when(after)}</p>`);
      break;
    }
    default:
      break;
  }
  if (entry.services.length) {
    parts.push(`<p>${escapeHtml(p.affected)}: ${entry.services.map((s) => escapeHtml(s.name)).join(', ')}</p>`);
  }
  if (parts.length === 0) parts.push(`<p>${escapeHtml(entry.title.text)}</p>`);
  // Inside CDATA sections nothing may close them early.
  return parts.join('\n').replace(/\]\]>/g, ']]&gt;');
}

function feedTexts(view: FeedView) {
  const p = phrases(view.locale);
  const vendor = SITE.vendor;
  const subject = view.subject?.text ?? '';
  switch (view.scope.kind) {
    case 'site':
      return { title: p.siteFeedTitle(vendor), description: p.siteFeedDescription(vendor) };
    case 'service':
      return { title: p.serviceFeedTitle(vendor, subject), description: p.serviceFeedDescription(subject) };
    case 'incident':
      return { title: p.incidentFeedTitle(vendor, subject), description: p.incidentFeedDescription(subject) };
  }
}

/** The newest entry's time, or the last write anywhere, or the epoch for an empty page: never "now". */
function feedUpdated(view: FeedView, lastChange: Date | null): Date {
  return view.entries[0]?.occurredAt ?? lastChange ?? new Date(0);
}

export function renderRss(ctx: Ctx, view: FeedView, updated: Date): string {
  const { title, description } = feedTexts(view);
  const paths = feedPaths(view.scope);
  const feed = new RSS({
    title,
    description,
    site_url: siteUrl(ctx, view.locale, paths.page),
    feed_url: siteUrl(ctx, view.locale, paths.feed('rss')),
    language: view.locale,
    generator: 'Vedetta',
    pubDate: updated,
    ttl: 5,
  });
  for (const entry of view.entries) {
    feed.item({
      title: entryTitle(entry, view.locale),
      description: entryHtml(ctx, entry, view.locale),
      url: entryLink(ctx, entry, view.locale),
      guid: entryId(ctx, entry, view.locale),
      categories: entry.services.map((s) => s.name),
      author: SITE.vendor,
      date: entry.occurredAt,
    });
  }
  // `rss` always writes lastBuildDate as "now": pin it to the data so identical content has identical bytes.
  const xml = feed.xml({ indent: true }).replace(/<lastBuildDate>[^<]*<\/lastBuildDate>/, `<lastBuildDate>${updated.toUTCString()}</lastBuildDate>`);
  return stripInvalidXmlChars(xml);
}

export function renderAtom(ctx: Ctx, view: FeedView, updated: Date): string {
  const { title, description } = feedTexts(view);
  const paths = feedPaths(view.scope);
  const self = siteUrl(ctx, view.locale, paths.feed('atom'));
  const feed = new Feed({
    id: self,
    title,
    description,
    link: siteUrl(ctx, view.locale, paths.page),
    feed: self,
    updated,
    generator: 'Vedetta',
    language: view.locale,
    author: { name: SITE.vendor, link: ctx.siteUrl },
    copyright: SITE.vendor,
  });
  for (const entry of view.entries) {
    feed.addItem({
      // type="html": the title is escaped HTML inside CDATA.
      title: escapeHtml(entryTitle(entry, view.locale)),
      id: entryId(ctx, entry, view.locale),
      link: entryLink(ctx, entry, view.locale),
      date: entry.occurredAt,
      published: entry.occurredAt,
      content: entryHtml(ctx, entry, view.locale),
      category: entry.services.map((s) => ({ term: s.key, name: s.name, scheme: `${ctx.siteUrl}/services/` })),
    });
  }
  const xml = feed
    .atom1()
    // `feed` has no xml:lang; readers use it to pick fonts, hyphenation and speech.
    .replace('<feed xmlns="http://www.w3.org/2005/Atom">', `<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="${view.locale}">`);
  return stripInvalidXmlChars(xml);
}

export async function buildFeed(ctx: Ctx, scope: FeedScope, locale: Locale, format: FeedFormat, lastChange: Date | null): Promise<Built> {
  const view = await getFeed(ctx, { scope, locale });
  if (!view) {
    const p = phrases(locale);
    return plainNotFound(scope.kind === 'service' ? p.notFoundService(scope.key) : p.notFoundIncident(scope.kind === 'incident' ? scope.id : ''));
  }
  const updated = feedUpdated(view, lastChange);
  const body = format === 'rss' ? renderRss(ctx, view, updated) : renderAtom(ctx, view, updated);
  // Last-Modified: when anything was last written (a backdated update still changes the feed now).
  const lastModified = lastChange && lastChange > updated ? lastChange : updated;
  return { body, contentType: CONTENT_TYPES[format], lastModified: lastModified.getTime() > 0 ? lastModified : null };
}

export function createFeedRoutes(deps: PublicDeps) {
  const app = new Hono();
  const handle = (locale: Locale, scopeOf: (params: Record<string, string>) => FeedScope, format: FeedFormat) => async (c: Context) => {
    const scope = scopeOf(c.req.param() as Record<string, string>);
    return serve(c, deps, {
      headers: { ...CROSS_ORIGIN_READ, Vary: 'Accept-Encoding' },
      build: (ctx, version) => buildFeed(ctx, scope, locale, format, version.lastChange),
    });
  };
  for (const locale of ['it', 'en'] as const) {
    const prefix = locale === 'it' ? '' : `/${locale}`;
    for (const format of ['rss', 'atom'] as const) {
      app.get(`${prefix}/feed.${format}`, handle(locale, () => ({ kind: 'site' }), format));
      app.get(`${prefix}/services/:key/feed.${format}`, handle(locale, (p) => ({ kind: 'service', key: p.key! }), format));
      app.get(`${prefix}/incidents/:id/feed.${format}`, handle(locale, (p) => ({ kind: 'incident', id: p.id! }), format));
    }
  }
  return app;
}
