import { type SQL, and, asc, count, desc, eq, gte, inArray, isNull, or, sql } from 'drizzle-orm';
import {
  backlogSamples,
  dataGapNoticeServices,
  dataGapNotices,
  dataGapWindows,
  incidentFaq,
  incidentServices,
  incidentUpdateServices,
  incidentUpdates,
  incidents,
  maintenanceServices,
  maintenances,
  milestones,
  services,
  statusIntervals,
} from '../../db/schema/index.ts';
import { pickText } from '../domain/i18n.ts';
import { isOpenMilestone, isOverdue, planProgress } from '../domain/lifecycle.ts';
import { indicatorDescription, pageIndicator } from '../domain/rollup.ts';
import { addZonedDays, startOfZonedDay, zonedDateKey } from '../domain/time.ts';
import { barFromSeconds, sumSeconds, uptimeRatio } from '../domain/uptime.ts';
import type { Locale, LocalizedText, ServiceStatus } from '../domain/vocab.ts';
import type { Ctx } from './context.ts';
import { type HistoryVersion, readHistoryVersion, sinceHistoryChange } from './history.ts';
import { uptimeDays } from './uptime.ts';
import type {
  BacklogFigure,
  FaqView,
  HistoryItem,
  HistoryPage,
  HomePage,
  IncidentPage,
  IncidentSummary,
  MaintenanceView,
  MilestoneView,
  NoticeView,
  ServicePage,
  ServiceRef,
  ServiceSummary,
  Text,
  UpdateView,
} from './views.ts';

const BAR_DAYS = 90;
const OPEN_INCIDENT = inArray(incidents.status, ['investigating', 'identified', 'monitoring']);

function texts(locale: Locale) {
  const t = (value: LocalizedText): Text => {
    const picked = pickText(value, locale);
    return { text: picked.text, locale: picked.locale };
  };
  const maybe = (value: LocalizedText | null): Text | null => (value ? t(value) : null);
  return { t, maybe };
}

type ServiceRow = typeof services.$inferSelect;

/** The services a reader should see now: temporary ones only inside their window. */
function isVisible(s: ServiceRow, now: Date): boolean {
  return (!s.availableFrom || s.availableFrom <= now) && (!s.availableUntil || s.availableUntil > now);
}

async function loadServiceRows(ctx: Ctx): Promise<ServiceRow[]> {
  return ctx.db.select().from(services).orderBy(asc(services.sortOrder), asc(services.key));
}

async function latestBacklog(ctx: Ctx, locale: Locale, serviceIds: string[]): Promise<BacklogFigure[]> {
  if (serviceIds.length === 0) return [];
  const rows = await ctx.db
    .selectDistinctOn([backlogSamples.serviceId, backlogSamples.metric], {
      serviceKey: services.key,
      metric: backlogSamples.metric,
      label: backlogSamples.label,
      count: backlogSamples.count,
      oldestAgeSeconds: backlogSamples.oldestAgeSeconds,
      measuredAt: backlogSamples.measuredAt,
    })
    .from(backlogSamples)
    .innerJoin(services, eq(services.id, backlogSamples.serviceId))
    .where(inArray(backlogSamples.serviceId, serviceIds))
    .orderBy(backlogSamples.serviceId, backlogSamples.metric, desc(backlogSamples.measuredAt));
  return rows.map((r) => ({ ...r, label: pickText(r.label, locale).text }));
}

/** Incidents overlapping [from, now] per service, to list them in each day's bar detail. */
async function incidentsByService(ctx: Ctx, locale: Locale, serviceIds: string[], from: Date, history: HistoryVersion) {
  const map = new Map<string, { id: string; title: string; start: Date; end: Date | null }[]>();
  if (serviceIds.length === 0) return map;
  const rows = await sinceHistoryChange(ctx, history, `incidents ${from.getTime()} ${serviceIds.join(' ')}`, () =>
    ctx.db
      .select({
        serviceId: incidentServices.serviceId,
        id: incidents.id,
        title: incidents.title,
        startedAt: incidents.startedAt,
        resolvedAt: incidents.resolvedAt,
      })
      .from(incidentServices)
      .innerJoin(incidents, eq(incidents.id, incidentServices.incidentId))
      .where(
        and(
          inArray(incidentServices.serviceId, serviceIds),
          or(isNull(incidents.resolvedAt), gte(incidents.resolvedAt, from)),
        ),
      ),
  );
  for (const r of rows) {
    const list = map.get(r.serviceId) ?? [];
    list.push({ id: r.id, title: pickText(r.title, locale).text, start: r.startedAt, end: r.resolvedAt });
    map.set(r.serviceId, list);
  }
  return map;
}

async function summarizeServices(ctx: Ctx, locale: Locale, rows: ServiceRow[]): Promise<ServiceSummary[]> {
  const { t, maybe } = texts(locale);
  const now = ctx.now();
  const from = addZonedDays(startOfZonedDay(now, ctx.timeZone), -(BAR_DAYS - 1), ctx.timeZone);
  const ids = rows.map((s) => s.id);
  const [[uptime, incidentMap], backlog] = await Promise.all([
    readHistoryVersion(ctx).then((history) =>
      Promise.all([uptimeDays(ctx, ids, BAR_DAYS, history), incidentsByService(ctx, locale, ids, from, history)]),
    ),
    latestBacklog(ctx, locale, ids),
  ]);
  return rows.map((s) => {
    // Closed days come pre-aggregated (src/services/uptime.ts); only today is measured from the intervals.
    const { days, open } = uptime.byService.get(s.id)!;
    const serviceIncidents = incidentMap.get(s.id) ?? [];
    // Each incident is placed on the bars it overlaps, in plain numbers: 90 bars × hundreds of incidents
    // compared as Date objects cost more than the database reads of the page.
    const perBar = uptime.windows.map(() => [] as { id: string; title: string }[]);
    for (const inc of serviceIncidents) {
      const start = inc.start.getTime();
      const end = inc.end === null ? Infinity : inc.end.getTime();
      uptime.windows.forEach((w, i) => {
        if (start < w.end.getTime() && end > w.start.getTime()) perBar[i]!.push({ id: inc.id, title: inc.title });
      });
    }
    const bars = uptime.windows.map((w, i) => ({ ...barFromSeconds(w, days[i]!), incidents: perBar[i]! }));
    return {
      id: s.id,
      key: s.key,
      name: t(s.name).text,
      description: maybe(s.description)?.text ?? null,
      group: maybe(s.groupName)?.text ?? null,
      status: open?.status ?? 'operational',
      statusSince: open?.start ?? s.createdAt,
      temporary: s.availableFrom || s.availableUntil ? { from: s.availableFrom, until: s.availableUntil } : null,
      bars,
      uptime90: uptimeRatio(sumSeconds(days)),
      backlog: backlog.filter((b) => b.serviceKey === s.key),
    };
  });
}

async function serviceRefs(ctx: Ctx, locale: Locale): Promise<Map<string, ServiceRef>> {
  const rows = await ctx.db.select({ id: services.id, key: services.key, name: services.name }).from(services);
  return refsOf(rows, locale);
}

function refsOf(rows: Pick<ServiceRow, 'id' | 'key' | 'name'>[], locale: Locale): Map<string, ServiceRef> {
  return new Map(rows.map((r) => [r.id, { key: r.key, name: pickText(r.name, locale).text }]));
}

async function loadUpdates(ctx: Ctx, locale: Locale, incidentIds: string[], refs: Map<string, ServiceRef>) {
  const byIncident = new Map<string, UpdateView[]>();
  if (incidentIds.length === 0) return byIncident;
  const { t } = texts(locale);
  const rows = await ctx.db
    .select()
    .from(incidentUpdates)
    .where(inArray(incidentUpdates.incidentId, incidentIds))
    .orderBy(desc(incidentUpdates.displayAt), desc(incidentUpdates.createdAt));
  const changes = rows.length
    ? await ctx.db
        .select()
        .from(incidentUpdateServices)
        .where(inArray(incidentUpdateServices.updateId, rows.map((r) => r.id)))
    : [];
  for (const r of rows) {
    const list = byIncident.get(r.incidentId) ?? [];
    list.push({
      id: r.id,
      status: r.status,
      body: t(r.body),
      displayAt: r.displayAt,
      services: changes
        .filter((c) => c.updateId === r.id)
        .map((c) => ({ ...refs.get(c.serviceId)!, oldStatus: c.oldStatus, newStatus: c.newStatus })),
    });
    byIncident.set(r.incidentId, list);
  }
  return byIncident;
}

async function loadPlans(ctx: Ctx, locale: Locale, incidentIds: string[], refs: Map<string, ServiceRef>) {
  const byIncident = new Map<string, MilestoneView[]>();
  if (incidentIds.length === 0) return byIncident;
  const { t, maybe } = texts(locale);
  const now = ctx.now();
  const rows = await ctx.db
    .select()
    .from(milestones)
    .where(inArray(milestones.incidentId, incidentIds))
    .orderBy(asc(milestones.sortOrder), asc(milestones.createdAt));
  for (const m of rows) {
    const list = byIncident.get(m.incidentId) ?? [];
    list.push({
      id: m.id,
      title: t(m.title),
      description: maybe(m.description),
      state: m.state,
      expectedAt: m.expectedAt,
      actualAt: m.actualAt,
      delayReason: maybe(m.delayReason),
      service: m.serviceId ? (refs.get(m.serviceId) ?? null) : null,
      late: isOpenMilestone(m.state) && m.expectedAt !== null && m.expectedAt < now,
    });
    byIncident.set(m.incidentId, list);
  }
  return byIncident;
}

async function currentStatuses(ctx: Ctx): Promise<Map<string, ServiceStatus>> {
  const rows = await ctx.db
    .select({ serviceId: statusIntervals.serviceId, status: statusIntervals.status })
    .from(statusIntervals)
    .where(isNull(statusIntervals.endedAt));
  return new Map(rows.map((r) => [r.serviceId, r.status]));
}

async function summarizeIncidents(
  ctx: Ctx,
  locale: Locale,
  rows: (typeof incidents.$inferSelect)[],
  refs: Map<string, ServiceRef>,
): Promise<(IncidentSummary & { updates: UpdateView[] })[]> {
  const ids = rows.map((r) => r.id);
  const { t } = texts(locale);
  const [updates, plans, links, statuses] = await Promise.all([
    loadUpdates(ctx, locale, ids, refs),
    loadPlans(ctx, locale, ids, refs),
    ids.length ? ctx.db.select().from(incidentServices).where(inArray(incidentServices.incidentId, ids)) : [],
    currentStatuses(ctx),
  ]);
  const now = ctx.now();
  return rows.map((r) => {
    const incidentUpdatesList = updates.get(r.id) ?? [];
    const plan = plans.get(r.id) ?? [];
    const progress = planProgress(plan);
    return {
      id: r.id,
      title: t(r.title),
      impact: r.impact,
      status: r.status,
      startedAt: r.startedAt,
      resolvedAt: r.resolvedAt,
      nextUpdateBy: r.nextUpdateBy,
      nextUpdateOverdue: isOverdue(r.nextUpdateBy, now),
      latestUpdate: incidentUpdatesList[0] ?? null,
      updates: incidentUpdatesList,
      services: links
        .filter((l) => l.incidentId === r.id)
        .map((l) => ({ ...refs.get(l.serviceId)!, status: statuses.get(l.serviceId) ?? 'operational' })),
      plan: { milestones: plan, ...progress },
    };
  });
}

async function loadNotices(ctx: Ctx, locale: Locale, where: SQL | undefined, refs: Map<string, ServiceRef>) {
  const { t, maybe } = texts(locale);
  const rows = await ctx.db.select().from(dataGapNotices).where(where).orderBy(desc(dataGapNotices.publishedAt));
  if (rows.length === 0) return [];
  const ids = rows.map((r) => r.id);
  const [windows, links] = await Promise.all([
    ctx.db.select().from(dataGapWindows).where(inArray(dataGapWindows.noticeId, ids)).orderBy(asc(dataGapWindows.sortOrder)),
    ctx.db.select().from(dataGapNoticeServices).where(inArray(dataGapNoticeServices.noticeId, ids)),
  ]);
  return rows.map(
    (n): NoticeView => ({
      id: n.id,
      incidentId: n.incidentId,
      title: t(n.title),
      body: maybe(n.body),
      audience: maybe(n.audience),
      action: maybe(n.action),
      windows: windows
        .filter((w) => w.noticeId === n.id)
        .map((w) => ({ scope: t(w.scope), restoredUntil: w.restoredUntil, gapEndsAt: w.gapEndsAt, pending: w.pending })),
      services: links.filter((l) => l.noticeId === n.id).map((l) => refs.get(l.serviceId)!),
      publishedAt: n.publishedAt,
      closedAt: n.closedAt,
    }),
  );
}

async function loadMaintenances(ctx: Ctx, locale: Locale, where: SQL | undefined, refs: Map<string, ServiceRef>) {
  const { t, maybe } = texts(locale);
  const rows = await ctx.db.select().from(maintenances).where(where).orderBy(asc(maintenances.scheduledStart));
  if (rows.length === 0) return [];
  const links = await ctx.db
    .select()
    .from(maintenanceServices)
    .where(inArray(maintenanceServices.maintenanceId, rows.map((r) => r.id)));
  return rows.map(
    (m): MaintenanceView => ({
      id: m.id,
      title: t(m.title),
      body: maybe(m.body),
      status: m.status,
      scheduledStart: m.scheduledStart,
      scheduledEnd: m.scheduledEnd,
      startedAt: m.startedAt,
      completedAt: m.completedAt,
      services: links.filter((l) => l.maintenanceId === m.id).map((l) => refs.get(l.serviceId)!),
    }),
  );
}

/**
 * The services a reader sees now (temporary ones only inside their window), in catalogue order, with the name
 * in the page's language and the language it is really in: the subscription form's choices and the embed
 * page's list of service badges.
 */
export async function listVisibleServices(ctx: Ctx, { locale }: { locale: Locale }): Promise<(ServiceRef & { nameLocale: Locale })[]> {
  const now = ctx.now();
  return (await loadServiceRows(ctx))
    .filter((s) => isVisible(s, now))
    .map((s) => {
      const picked = pickText(s.name, locale);
      return { key: s.key, name: picked.text, nameLocale: picked.locale };
    });
}

export async function getHomePage(ctx: Ctx, { locale }: { locale: Locale }): Promise<HomePage> {
  const now = ctx.now();
  // One read of the catalogue serves both the visible list and the names of every service (a page is ~15 queries).
  const all = await loadServiceRows(ctx);
  const refs = refsOf(all, locale);
  const rows = all.filter((s) => isVisible(s, now));
  const [summaries, openIncidents, notices, upcoming] = await Promise.all([
    summarizeServices(ctx, locale, rows),
    ctx.db.select().from(incidents).where(OPEN_INCIDENT).orderBy(desc(incidents.startedAt)),
    loadNotices(ctx, locale, isNull(dataGapNotices.closedAt), refs),
    loadMaintenances(ctx, locale, inArray(maintenances.status, ['scheduled', 'in_progress', 'verifying']), refs),
  ]);
  const active = await summarizeIncidents(ctx, locale, openIncidents, refs);
  const indicator = pageIndicator(
    summaries.map((s) => s.status),
    active.map((i) => i.impact),
  );
  return {
    locale,
    timeZone: ctx.timeZone,
    now,
    indicator,
    indicatorText: indicatorDescription(indicator, locale, {
      anyMaintenance: summaries.some((s) => s.status === 'under_maintenance'),
    }),
    services: summaries,
    activeIncidents: active.map(({ updates: _updates, ...summary }) => summary),
    notices,
    maintenances: upcoming,
  };
}

export async function getIncidentPage(ctx: Ctx, { id, locale }: { id: string; locale: Locale }): Promise<IncidentPage | null> {
  const [row] = await ctx.db.select().from(incidents).where(eq(incidents.id, id));
  if (!row) return null;
  const { t, maybe } = texts(locale);
  const refs = await serviceRefs(ctx, locale);
  const [[summary], notices, faq] = await Promise.all([
    summarizeIncidents(ctx, locale, [row], refs),
    loadNotices(ctx, locale, eq(dataGapNotices.incidentId, id), refs),
    ctx.db.select().from(incidentFaq).where(eq(incidentFaq.incidentId, id)).orderBy(asc(incidentFaq.sortOrder)),
  ]);
  return {
    ...summary!,
    notices,
    faq: faq.map((f): FaqView => ({ id: f.id, slug: f.slug, question: t(f.question), answer: t(f.answer) })),
    postmortem: maybe(row.postmortem),
    postmortemAt: row.postmortemAt,
    version: row.version,
  };
}

export async function getServicePage(ctx: Ctx, { key, locale }: { key: string; locale: Locale }): Promise<ServicePage | null> {
  const [row] = await ctx.db.select().from(services).where(eq(services.key, key));
  if (!row) return null;
  const { t } = texts(locale);
  const now = ctx.now();
  const refs = await serviceRefs(ctx, locale);
  const [[summary], incidentRows, samples, maint] = await Promise.all([
    summarizeServices(ctx, locale, [row]),
    ctx.db
      .select({
        id: incidents.id,
        title: incidents.title,
        impact: incidents.impact,
        status: incidents.status,
        startedAt: incidents.startedAt,
        resolvedAt: incidents.resolvedAt,
      })
      .from(incidentServices)
      .innerJoin(incidents, eq(incidents.id, incidentServices.incidentId))
      .where(eq(incidentServices.serviceId, row.id))
      .orderBy(desc(incidents.startedAt))
      .limit(50),
    ctx.db
      .select()
      .from(backlogSamples)
      .where(and(eq(backlogSamples.serviceId, row.id), gte(backlogSamples.measuredAt, addZonedDays(now, -30, ctx.timeZone))))
      .orderBy(asc(backlogSamples.measuredAt)),
    loadMaintenances(
      ctx,
      locale,
      inArray(
        maintenances.id,
        ctx.db.select({ id: maintenanceServices.maintenanceId }).from(maintenanceServices).where(eq(maintenanceServices.serviceId, row.id)),
      ),
      refs,
    ),
  ]);
  const metrics = new Map<string, ServicePage['backlogHistory'][number]>();
  for (const s of samples) {
    const entry = metrics.get(s.metric) ?? { metric: s.metric, label: '', samples: [] };
    entry.label = pickText(s.label, locale).text;
    entry.samples.push({ count: s.count, oldestAgeSeconds: s.oldestAgeSeconds, measuredAt: s.measuredAt });
    metrics.set(s.metric, entry);
  }
  return {
    service: summary!,
    // The last 30 bars are the last 30 local days, today up to now included.
    uptime30: uptimeRatio(sumSeconds(summary!.bars.slice(-30).map((b) => b.seconds))),
    incidents: incidentRows.map((i) => ({ ...i, title: t(i.title) })),
    backlogHistory: [...metrics.values()],
    maintenances: maint.filter((m) => m.status !== 'completed' || m.scheduledEnd > addZonedDays(now, -90, ctx.timeZone)),
  };
}

export const HISTORY_PAGE_SIZE = 20;

/** Every incident (ongoing ones too) and completed maintenance, newest first, grouped by month of start in the page's zone. */
export async function getHistory(ctx: Ctx, { locale, page }: { locale: Locale; page: number }): Promise<HistoryPage> {
  const { t } = texts(locale);
  // The database sorts and pages the keys of both kinds (incidents_started_idx); details are read for one page only.
  const completed = eq(maintenances.status, 'completed');
  const [[counted], [countedMaintenance]] = await Promise.all([
    ctx.db.select({ n: count() }).from(incidents),
    ctx.db.select({ n: count() }).from(maintenances).where(completed),
  ]);
  const total = counted!.n + countedMaintenance!.n;
  const totalPages = Math.max(1, Math.ceil(total / HISTORY_PAGE_SIZE));
  const current = Math.min(Math.max(1, page), totalPages);
  const slice = await ctx.db
    .select({ id: incidents.id, at: incidents.startedAt, kind: sql<'incident' | 'maintenance'>`'incident'`.as('kind') })
    .from(incidents)
    .unionAll(
      ctx.db
        .select({ id: maintenances.id, at: maintenances.scheduledStart, kind: sql<'incident' | 'maintenance'>`'maintenance'`.as('kind') })
        .from(maintenances)
        .where(completed),
    )
    // By position: the union's columns are (id, at, kind). The id breaks ties so pages never overlap.
    .orderBy(sql`2 desc, 1 desc`)
    .limit(HISTORY_PAGE_SIZE)
    .offset((current - 1) * HISTORY_PAGE_SIZE);
  const incidentIds = slice.filter((k) => k.kind === 'incident').map((k) => k.id);
  const maintenanceIds = slice.filter((k) => k.kind === 'maintenance').map((k) => k.id);
  const refs = await serviceRefs(ctx, locale);
  const [incidentRows, links, maint] = await Promise.all([
    incidentIds.length ? ctx.db.select().from(incidents).where(inArray(incidents.id, incidentIds)) : [],
    incidentIds.length ? ctx.db.select().from(incidentServices).where(inArray(incidentServices.incidentId, incidentIds)) : [],
    maintenanceIds.length ? loadMaintenances(ctx, locale, inArray(maintenances.id, maintenanceIds), refs) : [],
  ]);
  const items = new Map<string, HistoryItem>();
  for (const i of incidentRows) {
    items.set(i.id, {
      kind: 'incident',
      id: i.id,
      title: t(i.title),
      impact: i.impact,
      status: i.status,
      startedAt: i.startedAt,
      endedAt: i.resolvedAt,
      durationMs: i.resolvedAt ? i.resolvedAt.getTime() - i.startedAt.getTime() : null,
      services: links.filter((l) => l.incidentId === i.id).map((l) => refs.get(l.serviceId)!),
    });
  }
  for (const m of maint) {
    const start = m.startedAt ?? m.scheduledStart;
    const end = m.completedAt ?? m.scheduledEnd;
    items.set(m.id, {
      kind: 'maintenance',
      id: m.id,
      title: m.title,
      impact: 'maintenance',
      status: m.status,
      startedAt: start,
      endedAt: end,
      durationMs: end.getTime() - start.getTime(),
      services: m.services,
    });
  }
  const months: HistoryPage['months'] = [];
  for (const k of slice) {
    const item = items.get(k.id)!;
    const month = zonedDateKey(item.startedAt, ctx.timeZone).slice(0, 7);
    const last = months.at(-1);
    if (last?.key === month) last.items.push(item);
    else months.push({ key: month, items: [item] });
  }
  return { months, page: current, totalPages };
}

/** The FAQ of every open incident, for the FAQ page. */
export async function getOpenIncidentFaq(ctx: Ctx, { locale }: { locale: Locale }) {
  const { t } = texts(locale);
  const open = await ctx.db.select().from(incidents).where(OPEN_INCIDENT).orderBy(desc(incidents.startedAt));
  if (open.length === 0) return [];
  const faq = await ctx.db
    .select()
    .from(incidentFaq)
    .where(inArray(incidentFaq.incidentId, open.map((i) => i.id)))
    .orderBy(asc(incidentFaq.sortOrder));
  return open
    .map((i) => ({
      incident: { id: i.id, title: t(i.title) },
      faq: faq
        .filter((f) => f.incidentId === i.id)
        .map((f): FaqView => ({ id: f.id, slug: f.slug, question: t(f.question), answer: t(f.answer) })),
    }))
    .filter((g) => g.faq.length > 0);
}
