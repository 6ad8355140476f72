/**
 * What an alert says, gathered once from the database for one locale: the event's own text plus the state of
 * its incident (affected services, recovery plan, next update promise) read through the same read side as the
 * public pages, so an e-mail never tells a different story than the page it links to.
 *
 * Texts stay Markdown or plain text here, each with the locale it is actually in (Italian where a translation is
 * missing); the templates decide how to show them.
 */
import { asc, eq, inArray } from 'drizzle-orm';
import { dataGapNotices, maintenanceServices, maintenances, services } from '../../db/schema/index.ts';
import { pickText } from '../domain/i18n.ts';
import { isOpenMilestone } from '../domain/lifecycle.ts';
import { formatDateTime, formatEndDateTime } from '../domain/time.ts';
import type { Locale, LocalizedText, MilestoneState, ServiceStatus } from '../domain/vocab.ts';
import { dict, localePath } from '../i18n/index.ts';
import type { Ctx } from '../services/context.ts';
import type { EventRow } from '../services/events.ts';
import { getIncidentPage } from '../services/read.ts';
import type { IncidentPage } from '../services/views.ts';
import { type MailCopy, mailCopy } from './copy.ts';

export type AlertSource = { event: EventRow } | { reminderFor: string };

export type LocalText = { text: string; locale: Locale };

export type PlanStep = { title: LocalText; when: string | null; late: boolean };

export type AlertView = {
  locale: Locale;
  /** "Aggiornamento", "Tappa in ritardo"… */
  kind: string;
  title: LocalText;
  /** "Stato: In monitoraggio" and similar short facts, already worded for the locale. */
  facts: { label: string; value: string }[];
  /** Markdown from operators (update, postmortem, delay reason, notice explanation), or null. */
  body: LocalText | null;
  /** Further Markdown under a heading of its own, as the page shows it (a notice's "Who is affected", "What to do"). */
  sections: { heading: string; body: LocalText }[];
  services: { name: LocalText; status: string | null }[];
  plan: {
    progress: string;
    /** While the incident is ongoing: the first milestone still open, what the recovery does next. */
    next: PlanStep | null;
    /** Once it is resolved: every milestone still open, follow-up work rather than a step of an ongoing recovery. */
    followUp: PlanStep[];
  } | null;
  nextUpdate: string | null;
  link: { label: string; url: string };
};

const MAINTENANCE_EVENTS = new Set(['maintenance.scheduled', 'maintenance.started', 'maintenance.completed']);

/** Both locales' views, or null when the source no longer exists or is not something subscribers are mailed. */
export async function loadAlertViews(ctx: Ctx, source: AlertSource): Promise<Record<Locale, AlertView> | null> {
  const [it, en] = await Promise.all([loadAlertView(ctx, source, 'it'), loadAlertView(ctx, source, 'en')]);
  return it && en ? { it, en } : null;
}

async function loadAlertView(ctx: Ctx, source: AlertSource, locale: Locale): Promise<AlertView | null> {
  const c = mailCopy(locale);
  const d = dict(locale);
  const when = (iso: unknown) => (typeof iso === 'string' && iso ? formatDateTime(new Date(iso), locale, ctx.timeZone) : null);
  const pick = (text: LocalizedText | null | undefined): LocalText | null => {
    if (!text) return null;
    const p = pickText(text, locale);
    return p.text.trim() ? { text: p.text, locale: p.locale } : null;
  };
  const siteLink = (path: string) => `${ctx.siteUrl}${localePath(locale, path)}`;

  if ('reminderFor' in source) {
    const m = await loadMaintenance(ctx, source.reminderFor);
    if (!m || m.row.status !== 'scheduled') return null;
    return {
      locale,
      kind: c.kind['maintenance.reminder'],
      title: pick(m.row.title)!,
      facts: [
        { label: c.startsIn, value: formatDateTime(m.row.scheduledStart, locale, ctx.timeZone) },
        { label: c.window, value: windowText(m.row.scheduledStart, m.row.scheduledEnd, locale, ctx.timeZone) },
      ],
      body: pick(m.row.body),
      sections: [],
      services: m.services.map((s) => ({ name: pick(s.name)!, status: null })),
      plan: null,
      nextUpdate: null,
      link: maintenanceLink(m, c, siteLink),
    };
  }

  const event = source.event;
  if (event.type === 'service.status_changed') return null;
  const data = event.data ?? {};
  const page = event.incidentId ? await getIncidentPage(ctx, { id: event.incidentId, locale }) : null;
  const names = await serviceNames(ctx, event.serviceKeys);
  const changes = new Map(
    (Array.isArray(data.changes) ? (data.changes as { service?: string; status?: ServiceStatus }[]) : []).map((ch) => [ch.service, ch.status]),
  );
  // In the catalogue's order, as the pages and feeds list them (the event stores its keys sorted by name).
  const services = [...names.keys()].map((key) => {
    const status = changes.get(key) ?? page?.services.find((s) => s.key === key)?.status ?? null;
    return { name: pick(names.get(key)) ?? { text: key, locale }, status: status ? d.serviceStatus[status] : null };
  });
  const base = {
    locale,
    title: pick(event.title) ?? { text: '', locale },
    body: pick(event.body),
    sections: [] as AlertView['sections'],
    services,
    plan: page ? planSummary(page, c, locale, ctx.timeZone) : null,
    // The promise as published with the update; other events show the incident's current one while it is open.
    nextUpdate: event.type.startsWith('incident.')
      ? when(data.nextUpdateBy)
      : page && page.nextUpdateBy && !page.resolvedAt ? formatDateTime(page.nextUpdateBy, locale, ctx.timeZone) : null,
    link: page
      ? { label: c.details, url: siteLink(`/incidents/${page.id}`) }
      : { label: c.statusPage, url: siteLink('/') },
  };

  if (event.type.startsWith('incident.')) {
    const status = String(data.status ?? '') as keyof typeof d.incidentStatus;
    return {
      ...base,
      kind: c.kind[event.type as 'incident.created'],
      facts: d.incidentStatus[status] ? [{ label: c.status, value: d.incidentStatus[status] }] : [],
    };
  }
  if (event.type === 'milestone.updated') {
    const state = String(data.state ?? '') as MilestoneState;
    const facts = [{ label: c.milestoneState, value: d.milestoneState[state] ?? state }];
    // Written as the pages write an expected date (midnight is 24:00 of the day before).
    const expected = typeof data.expectedAt === 'string' && data.expectedAt ? formatEndDateTime(new Date(data.expectedAt), locale, ctx.timeZone) : null;
    if (state === 'done' && when(data.actualAt)) facts.push({ label: d.plan.actual, value: when(data.actualAt)! });
    else if (expected) facts.push({ label: d.plan.expected, value: expected });
    return {
      ...base,
      // A delayed milestone's text is the reason for the delay: said so, as the plan on the page says it.
      ...(state === 'delayed' && base.body ? { body: null, sections: [{ heading: c.delayReason, body: base.body }] } : {}),
      kind: c.kind[state === 'done' ? 'milestone.done' : state === 'delayed' ? 'milestone.delayed' : 'milestone.updated'],
      facts,
    };
  }
  if (event.type === 'notice.published') {
    const windows = Array.isArray(data.windows)
      ? (data.windows as { scope?: LocalizedText; restoredUntil?: string; gapEndsAt?: string | null; pending?: boolean }[])
      : [];
    // The notice as the page shows it: what happened, who is affected, what to do, read from its row (events
    // written before they carried all three texts are still in the outbox after an upgrade).
    const [notice] = await ctx.db.select().from(dataGapNotices).where(eq(dataGapNotices.id, event.subjectId));
    const sections = notice
      ? [
          { heading: d.notice.audience, body: pick(notice.audience) },
          { heading: d.notice.action, body: pick(notice.action) },
        ].flatMap((sec) => (sec.body ? [{ heading: sec.heading, body: sec.body }] : []))
      : [];
    return {
      ...base,
      ...(notice ? { body: pick(notice.body), sections } : {}),
      kind: c.kind[data.restored === true ? 'notice.restored' : 'notice.published'],
      facts: windows.flatMap((w) => {
        const scope = pick(w.scope)?.text;
        // A restore still expected is not announced as done.
        const label = w.pending === true ? c.restorePending : c.restoredUntil;
        const rows = [{ label: scope ? `${label} (${scope})` : label, value: when(w.restoredUntil) ?? '' }];
        if (w.gapEndsAt) rows.push({ label: c.gap, value: `${when(w.restoredUntil)} – ${when(w.gapEndsAt)}` });
        return rows;
      }),
    };
  }
  if (MAINTENANCE_EVENTS.has(event.type) && event.maintenanceId) {
    const m = await loadMaintenance(ctx, event.maintenanceId);
    if (!m) return null;
    const kind =
      event.type === 'maintenance.scheduled'
        ? data.rescheduled ? 'maintenance.rescheduled' : 'maintenance.scheduled'
        : event.type === 'maintenance.completed' && data.cancelled ? 'maintenance.cancelled' : event.type;
    const start = when(data.scheduledStart) ? new Date(String(data.scheduledStart)) : m.row.scheduledStart;
    const end = when(data.scheduledEnd) ? new Date(String(data.scheduledEnd)) : m.row.scheduledEnd;
    return {
      ...base,
      kind: c.kind[kind as 'maintenance.scheduled'],
      link: maintenanceLink(m, c, siteLink),
      facts: [
        // A cancelled window never ran: its status would read "completed", which is not what happened.
        ...(kind === 'maintenance.cancelled' ? [] : [{ label: c.status, value: d.maintenanceStatus[m.row.status] }]),
        { label: c.window, value: windowText(start, end, locale, ctx.timeZone) },
        ...(kind === 'maintenance.rescheduled' && when(data.previousStart) && when(data.previousEnd)
          ? [{ label: c.previousWindow, value: windowText(new Date(String(data.previousStart)), new Date(String(data.previousEnd)), locale, ctx.timeZone) }]
          : []),
      ],
    };
  }
  return null;
}

/**
 * Where the feeds link a window: its first service's page, which lists it before, during and after (the home
 * page shows only what is to come or under way, so a completion linked there would show nothing of it).
 */
function maintenanceLink(m: NonNullable<Awaited<ReturnType<typeof loadMaintenance>>>, c: MailCopy, siteLink: (path: string) => string): AlertView['link'] {
  const first = m.services[0];
  return first
    ? { label: c.details, url: `${siteLink(`/services/${encodeURIComponent(first.key)}`)}#maintenance-${m.row.id}` }
    : { label: c.statusPage, url: siteLink('/') };
}

function windowText(start: Date, end: Date, locale: Locale, timeZone: string): string {
  return `${formatDateTime(start, locale, timeZone)} – ${formatDateTime(end, locale, timeZone)}`;
}

function planSummary(page: IncidentPage, c: MailCopy, locale: Locale, timeZone: string): AlertView['plan'] {
  if (page.plan.total === 0) return null;
  const open = page.plan.milestones
    .filter((m) => isOpenMilestone(m.state))
    .map((m) => ({ title: m.title, when: m.expectedAt ? formatEndDateTime(m.expectedAt, locale, timeZone) : null, late: m.late }));
  // A resolved incident has no "next milestone": presenting one would read as if the recovery were still going on.
  const resolved = page.resolvedAt !== null;
  return {
    progress: c.planProgress(page.plan.done, page.plan.total),
    next: resolved ? null : (open[0] ?? null),
    followUp: resolved ? open : [],
  };
}

/** The names of the services that exist, in catalogue order (a Map keeps its insertion order). */
async function serviceNames(ctx: Ctx, keys: string[]): Promise<Map<string, LocalizedText>> {
  if (keys.length === 0) return new Map();
  const rows = await ctx.db
    .select({ key: services.key, name: services.name })
    .from(services)
    .where(inArray(services.key, keys))
    .orderBy(asc(services.sortOrder), asc(services.key));
  return new Map(rows.map((r) => [r.key, r.name]));
}

async function loadMaintenance(ctx: Ctx, id: string) {
  const [row] = await ctx.db.select().from(maintenances).where(eq(maintenances.id, id));
  if (!row) return null;
  const linked = await ctx.db
    .select({ key: services.key, name: services.name })
    .from(maintenanceServices)
    .innerJoin(services, eq(services.id, maintenanceServices.serviceId))
    .where(eq(maintenanceServices.maintenanceId, id))
    .orderBy(asc(services.sortOrder), asc(services.key));
  return { row, services: linked };
}
