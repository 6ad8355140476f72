/**
 * Atlassian Statuspage public API v2, read-only, so the tools partners already run against Statuspage pages
 * (monitors, chat bots, dashboards, `se-v2.js` style widgets) work against Vedetta unchanged:
 *
 *   /api/v2/summary.json  status.json  components.json  incidents.json  incidents/unresolved.json
 *   /api/v2/scheduled-maintenances.json  scheduled-maintenances/upcoming.json  scheduled-maintenances/active.json
 *
 * Field names, types and value vocabularies are Statuspage's. What Statuspage has no field for (the recovery
 * plan, data-gap notices, backlog figures, the promised next update, the language a text is in) travels in an
 * extra `vedetta` object, which Statuspage clients ignore. `?lang=en` picks English texts; anything else Italian.
 */
import { createHash } from 'node:crypto';
import { type Context, Hono } from 'hono';
import { cors } from 'hono/cors';
import { markdownToPlainText, renderMarkdown } from '../../domain/markdown.ts';
import { worstStatus } from '../../domain/rollup.ts';
import { zonedDateKey } from '../../domain/time.ts';
import type { Locale, ServiceStatus } from '../../domain/vocab.ts';
import { SITE } from '../../i18n/site.ts';
import type { Ctx } from '../../services/context.ts';
import { getHomePage } from '../../services/read.ts';
import {
  type IncidentDetail,
  type MaintenanceDetail,
  type ServiceFacts,
  getIncidentDetails,
  listMaintenanceDetails,
  listServiceFacts,
  recentIncidentIds,
} from '../../services/statuspage.ts';
import type { BacklogFigure, HomePage, MilestoneView, NoticeView, ServiceSummary, Text } from '../../services/views.ts';
import { answerErrors } from '../faults.ts';
import { CROSS_ORIGIN_READ, type PublicDeps, queryLocale, serve, siteUrl } from './http.ts';
import { phrases } from './texts.ts';

const iso = (d: Date) => d.toISOString();
const isoOrNull = (d: Date | null | undefined) => (d ? d.toISOString() : null);

/** A stable 12-character id (Statuspage's look) derived from a string: the page from its URL, groups from their name. */
export function derivedId(seed: string): string {
  const bytes = createHash('sha256').update(seed).digest();
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  let id = '';
  for (let i = 0; i < 12; i++) id += alphabet[bytes[i]! % alphabet.length];
  return id;
}

export const pageId = (ctx: Ctx) => derivedId(`page:${ctx.siteUrl}`);

/** Markdown for the extras: the source, the sanitised HTML and the language it is written in. */
function markdownExtra(text: Text | null) {
  return text ? { locale: text.locale, markdown: text.text, html: renderMarkdown(text.text) } : null;
}

export type SpPage = { id: string; name: string; url: string; time_zone: string; updated_at: string };

function spPage(ctx: Ctx, locale: Locale, lastChange: Date | null): SpPage {
  return {
    id: pageId(ctx),
    name: SITE.vendor,
    url: locale === 'it' ? ctx.siteUrl : `${ctx.siteUrl}/${locale}`,
    time_zone: ctx.timeZone,
    updated_at: iso(lastChange ?? ctx.now()),
  };
}

type ComponentInput = {
  facts: ServiceFacts;
  status: ServiceStatus;
  since: Date;
  position: number;
  groupId: string | null;
  summary?: ServiceSummary;
};

function backlogExtra(b: BacklogFigure) {
  return {
    metric: b.metric,
    label: b.label,
    count: b.count,
    oldest_age_seconds: b.oldestAgeSeconds,
    measured_at: iso(b.measuredAt),
  };
}

function spComponent(ctx: Ctx, locale: Locale, c: ComponentInput) {
  return {
    id: c.facts.id,
    name: c.facts.name.text,
    status: c.status,
    created_at: iso(c.facts.createdAt),
    updated_at: iso(c.since > c.facts.createdAt ? c.since : c.facts.createdAt),
    position: c.position,
    description: c.facts.description?.text ?? null,
    showcase: true,
    start_date: zonedDateKey(c.facts.createdAt, ctx.timeZone),
    group_id: c.groupId,
    page_id: pageId(ctx),
    group: false,
    only_show_if_degraded: false,
    vedetta: {
      key: c.facts.key,
      locale: c.facts.name.locale,
      permalink: siteUrl(ctx, locale, `/services/${encodeURIComponent(c.facts.key)}`),
      uptime_90: c.summary?.uptime90 ?? null,
      temporary: c.summary?.temporary
        ? { from: isoOrNull(c.summary.temporary.from), until: isoOrNull(c.summary.temporary.until) }
        : null,
      backlog: (c.summary?.backlog ?? []).map(backlogExtra),
    },
  };
}

/**
 * The page's components: the visible services in catalogue order, each catalogue group as a Statuspage group
 * component (`group: true`, its members in `components`, their worst status as its own).
 */
function spComponents(ctx: Ctx, locale: Locale, home: HomePage, facts: ServiceFacts[]) {
  const byId = new Map(facts.map((f) => [f.id, f]));
  const out: Record<string, unknown>[] = [];
  const groups = new Map<string, { component: Record<string, unknown>; members: ServiceSummary[]; facts: ServiceFacts[] }>();
  let position = 0;
  for (const s of home.services) {
    const f = byId.get(s.id);
    if (!f) continue;
    let groupId: string | null = null;
    if (f.groupKey) {
      groupId = derivedId(`group:${f.groupKey}`);
      let group = groups.get(groupId);
      if (!group) {
        group = {
          component: {
            id: groupId,
            name: f.group?.text ?? f.groupKey,
            status: 'operational',
            created_at: iso(f.createdAt),
            updated_at: iso(f.createdAt),
            position: ++position,
            description: null,
            showcase: false,
            start_date: null,
            group_id: null,
            page_id: pageId(ctx),
            group: true,
            only_show_if_degraded: false,
            components: [] as string[],
            vedetta: { key: null, locale: f.group?.locale ?? 'it' },
          },
          members: [],
          facts: [],
        };
        groups.set(groupId, group);
        out.push(group.component);
      }
      group.members.push(s);
      group.facts.push(f);
      (group.component.components as string[]).push(f.id);
    }
    out.push(spComponent(ctx, locale, { facts: f, status: s.status, since: s.statusSince, position: ++position, groupId, summary: s }));
  }
  for (const g of groups.values()) {
    g.component.status = worstStatus(g.members.map((m) => m.status));
    g.component.created_at = iso(new Date(Math.min(...g.facts.map((f) => f.createdAt.getTime()))));
    g.component.updated_at = iso(
      new Date(Math.max(...g.members.map((m, i) => Math.max(m.statusSince.getTime(), g.facts[i]!.createdAt.getTime())))),
    );
  }
  return out;
}

function milestoneExtra(m: MilestoneView) {
  return {
    id: m.id,
    title: m.title.text,
    description: markdownExtra(m.description),
    state: m.state,
    expected_at: isoOrNull(m.expectedAt),
    actual_at: isoOrNull(m.actualAt),
    delay_reason: markdownExtra(m.delayReason),
    service: m.service?.key ?? null,
    late: m.late,
  };
}

export function noticeExtra(n: NoticeView) {
  return {
    id: n.id,
    incident_id: n.incidentId,
    title: n.title.text,
    locale: n.title.locale,
    body: markdownExtra(n.body),
    audience: markdownExtra(n.audience),
    action: markdownExtra(n.action),
    windows: n.windows.map((w) => ({ scope: w.scope.text, restored_until: iso(w.restoredUntil), gap_ends_at: isoOrNull(w.gapEndsAt), pending: w.pending })),
    services: n.services.map((s) => s.key),
    published_at: iso(n.publishedAt),
    closed_at: isoOrNull(n.closedAt),
  };
}

/** When the incident last entered "monitoring" (Statuspage's monitoring_at), or null. */
function monitoringAt(detail: IncidentDetail): Date | null {
  // Updates are newest first: walk back through the latest run of "monitoring" updates.
  let at: Date | null = null;
  for (const u of detail.updates) {
    if (u.status === 'monitoring') at = u.displayAt;
    else if (at) break;
  }
  return at;
}

function spIncident(ctx: Ctx, locale: Locale, d: IncidentDetail, facts: Map<string, ServiceFacts>) {
  const latest = [d.updatedAt, d.startedAt, d.resolvedAt, d.postmortemAt, ...d.updates.map((u) => u.displayAt)]
    .filter((x): x is Date => !!x)
    .reduce((a, b) => (b > a ? b : a));
  const permalink = siteUrl(ctx, locale, `/incidents/${encodeURIComponent(d.id)}`);
  const components = d.services.flatMap((s, i) => {
    const f = facts.get(s.key);
    return f ? [spComponent(ctx, locale, { facts: f, status: s.status, since: f.createdAt, position: i + 1, groupId: f.groupKey ? derivedId(`group:${f.groupKey}`) : null })] : [];
  });
  return {
    id: d.id,
    name: d.title.text,
    status: d.status,
    created_at: iso(d.createdAt < d.startedAt ? d.createdAt : d.startedAt),
    updated_at: iso(latest),
    monitoring_at: isoOrNull(monitoringAt(d)),
    resolved_at: isoOrNull(d.resolvedAt),
    impact: d.impact,
    shortlink: permalink,
    started_at: iso(d.startedAt),
    page_id: pageId(ctx),
    incident_updates: d.updates.map((u) => {
      const posted = d.updateFacts.get(u.id);
      return {
        id: u.id,
        status: u.status,
        body: markdownToPlainText(u.body.text),
        incident_id: d.id,
        created_at: iso(posted?.createdAt ?? u.displayAt),
        updated_at: iso(posted?.createdAt ?? u.displayAt),
        display_at: iso(u.displayAt),
        affected_components: u.services.length
          ? u.services.map((s) => ({
              code: facts.get(s.key)?.id ?? s.key,
              name: s.name,
              old_status: s.oldStatus ?? 'operational',
              new_status: s.newStatus,
            }))
          : null,
        deliver_notifications: posted?.notify ?? true,
        custom_tweet: null,
        tweet_id: null,
        vedetta: { locale: u.body.locale, body: markdownExtra(u.body), permalink: `${permalink}#update-${u.id}` },
      };
    }),
    components,
    vedetta: {
      locale: d.title.locale,
      permalink,
      next_update_by: isoOrNull(d.nextUpdateBy),
      next_update_overdue: d.nextUpdateOverdue,
      services: d.services.map((s) => s.key),
      plan: { done: d.plan.done, total: d.plan.total, ratio: d.plan.ratio, milestones: d.plan.milestones.map(milestoneExtra) },
      notices: d.notices.map(noticeExtra),
      postmortem: d.postmortem ? { ...markdownExtra(d.postmortem)!, published_at: isoOrNull(d.postmortemAt) } : null,
    },
  };
}

function spMaintenance(
  ctx: Ctx,
  locale: Locale,
  m: MaintenanceDetail,
  facts: Map<string, ServiceFacts>,
  statuses: Map<string, ServiceStatus>,
) {
  const p = phrases(locale);
  const permalink = siteUrl(ctx, locale, m.services[0] ? `/services/${encodeURIComponent(m.services[0].key)}` : '/', `maintenance-${m.id}`);
  const fallbackBody = (status: string) =>
    m.body ? markdownToPlainText(m.body.text) : status === 'completed' ? p.maintenance.completed : status === 'scheduled' ? p.maintenance.scheduled : p.maintenance.started;
  const steps = m.steps.length
    ? m.steps
    : [{ id: m.id, type: 'maintenance.scheduled' as const, status: m.status, body: m.body, occurredAt: m.createdAt, notify: m.notify }];
  // What each step did to the services: starting puts them under maintenance, completing gives them back.
  const affected = (status: string) => {
    const move =
      status === 'in_progress'
        ? { old_status: 'operational' as const, new_status: 'under_maintenance' as const }
        : status === 'completed'
          ? { old_status: 'under_maintenance' as const, new_status: 'operational' as const }
          : null;
    if (!move) return null;
    const list = m.services.flatMap((s) => {
      const f = facts.get(s.key);
      return f ? [{ code: f.id, name: s.name, ...move }] : [];
    });
    return list.length ? list : null;
  };
  return {
    id: m.id,
    name: m.title.text,
    status: m.status,
    created_at: iso(m.createdAt),
    updated_at: iso(m.updatedAt),
    monitoring_at: null,
    resolved_at: isoOrNull(m.completedAt),
    impact: 'maintenance',
    shortlink: permalink,
    started_at: iso(m.startedAt ?? m.scheduledStart),
    page_id: pageId(ctx),
    incident_updates: steps.map((s) => ({
      id: s.id,
      status: s.status,
      body: s.body ? markdownToPlainText(s.body.text) : fallbackBody(s.status),
      incident_id: m.id,
      created_at: iso(s.occurredAt),
      updated_at: iso(s.occurredAt),
      display_at: iso(s.occurredAt),
      affected_components: affected(s.status),
      deliver_notifications: s.notify,
      custom_tweet: null,
      tweet_id: null,
      vedetta: { locale: s.body?.locale ?? m.title.locale, body: markdownExtra(s.body) },
    })),
    components: m.services.flatMap((s, i) => {
      const f = facts.get(s.key);
      return f
        ? [spComponent(ctx, locale, { facts: f, status: statuses.get(s.key) ?? 'operational', since: f.createdAt, position: i + 1, groupId: null })]
        : [];
    }),
    scheduled_for: iso(m.scheduledStart),
    scheduled_until: iso(m.scheduledEnd),
    vedetta: { locale: m.title.locale, permalink, body: markdownExtra(m.body), services: m.services.map((s) => s.key) },
  };
}

/** Everything the eight documents are cut from, read once per request that needs it. */
async function readAll(
  ctx: Ctx,
  locale: Locale,
  lastChange: Date | null,
  want: { unresolved?: boolean; recent?: boolean; maintenances?: 'open' | 'all' },
) {
  const [home, factList] = await Promise.all([getHomePage(ctx, { locale }), listServiceFacts(ctx, { locale })]);
  const facts = new Map(factList.map((f) => [f.key, f]));
  const statuses = new Map(home.services.map((s) => [s.key, s.status]));
  const incidentIds = want.recent
    ? await recentIncidentIds(ctx, { limit: 50 })
    : want.unresolved
      ? home.activeIncidents.map((i) => i.id)
      : [];
  const incidents = (await getIncidentDetails(ctx, { ids: incidentIds, locale })).map((d) => spIncident(ctx, locale, d, facts));
  const maint =
    want.maintenances === 'all'
      ? await listMaintenanceDetails(ctx, { locale, limit: 50 })
      : want.maintenances === 'open'
        ? await listMaintenanceDetails(ctx, { locale, limit: 500, ids: home.maintenances.map((m) => m.id) })
        : [];
  // Open maintenances in the page's order (soonest first); the full list newest first, as Statuspage does.
  const order = new Map(home.maintenances.map((m, i) => [m.id, i]));
  if (want.maintenances === 'open') maint.sort((a, b) => order.get(a.id)! - order.get(b.id)!);
  return {
    home,
    page: spPage(ctx, locale, lastChange),
    status: { indicator: home.indicator, description: home.indicatorText },
    components: spComponents(ctx, locale, home, factList),
    incidents,
    maintenances: maint.map((m) => spMaintenance(ctx, locale, m, facts, statuses)),
  };
}

const json = (value: unknown) => ({ body: JSON.stringify(value), contentType: 'application/json; charset=utf-8' });

type Doc = 'summary' | 'status' | 'components' | 'incidents' | 'unresolved' | 'maintenances' | 'upcoming' | 'active';

export async function buildStatuspage(ctx: Ctx, doc: Doc, locale: Locale, lastChange: Date | null) {
  switch (doc) {
    case 'summary': {
      const r = await readAll(ctx, locale, lastChange, { unresolved: true, maintenances: 'open' });
      return json({
        page: r.page,
        components: r.components,
        incidents: r.incidents,
        scheduled_maintenances: r.maintenances.filter((m) => m.status !== 'completed'),
        status: r.status,
        vedetta: {
          locale,
          indicator_text: r.home.indicatorText,
          notices: r.home.notices.map(noticeExtra),
          backlog: r.home.services.flatMap((s) => s.backlog.map((b) => ({ service: s.key, ...backlogExtra(b) }))),
        },
      });
    }
    case 'status': {
      const r = await readAll(ctx, locale, lastChange, {});
      return json({ page: r.page, status: r.status });
    }
    case 'components': {
      const r = await readAll(ctx, locale, lastChange, {});
      return json({ page: r.page, components: r.components });
    }
    case 'incidents': {
      const r = await readAll(ctx, locale, lastChange, { recent: true });
      return json({ page: r.page, incidents: r.incidents });
    }
    case 'unresolved': {
      const r = await readAll(ctx, locale, lastChange, { unresolved: true });
      return json({ page: r.page, incidents: r.incidents });
    }
    case 'maintenances': {
      const r = await readAll(ctx, locale, lastChange, { maintenances: 'all' });
      return json({ page: r.page, scheduled_maintenances: r.maintenances });
    }
    case 'upcoming': {
      const r = await readAll(ctx, locale, lastChange, { maintenances: 'open' });
      return json({ page: r.page, scheduled_maintenances: r.maintenances.filter((m) => m.status === 'scheduled') });
    }
    case 'active': {
      const r = await readAll(ctx, locale, lastChange, { maintenances: 'open' });
      return json({
        page: r.page,
        scheduled_maintenances: r.maintenances.filter((m) => m.status === 'in_progress' || m.status === 'verifying'),
      });
    }
  }
}

const ROUTES: Record<string, Doc> = {
  '/summary.json': 'summary',
  '/status.json': 'status',
  '/components.json': 'components',
  '/incidents.json': 'incidents',
  '/incidents/unresolved.json': 'unresolved',
  '/scheduled-maintenances.json': 'maintenances',
  '/scheduled-maintenances/upcoming.json': 'upcoming',
  '/scheduled-maintenances/active.json': 'active',
};

/** The `/api/v2` sub-app (mount at `/api/v2`). */
export function createStatuspageV2(deps: PublicDeps) {
  const app = new Hono();
  app.use('*', cors({ origin: '*', allowMethods: ['GET', 'HEAD', 'OPTIONS'], exposeHeaders: ['ETag'], maxAge: 86_400 }));
  for (const [path, doc] of Object.entries(ROUTES)) {
    app.get(path, (c: Context) => {
      const locale = queryLocale(c);
      return serve(c, deps, {
        headers: CROSS_ORIGIN_READ,
        build: (ctx, version) => buildStatuspage(ctx, doc, locale, version.lastChange),
      });
    });
  }
  app.all('*', (c) => {
    const known = Object.keys(ROUTES).includes(c.req.path.replace(/^\/api\/v2/, ''));
    const headers = { ...CROSS_ORIGIN_READ, ...(known ? { Allow: 'GET, HEAD, OPTIONS' } : {}) };
    return known
      ? c.json({ error: { code: 'method_not_allowed', message: `${c.req.method} is not allowed here: this API is read-only (GET).` } }, 405, headers)
      : c.json({ error: { code: 'not_found', message: `No API route ${c.req.method} ${c.req.path}.` } }, 404, headers);
  });
  app.onError(answerErrors((c) => c.json({ error: { code: 'internal', message: 'Internal error.' } }, 500, CROSS_ORIGIN_READ)));
  return app;
}
