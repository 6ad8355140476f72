/**
 * Plays the demo story (`story.ts`) into an empty database through the service layer, in one transaction.
 *
 * Time model:
 * - the scenario counts days from the outage (day 10 is the night the platform stopped); `opts.day` says
 *   which scenario day today is (19 by default), so the page looks live whatever the calendar date;
 * - "day N at HH:MM" is a wall-clock time in `ctx.timeZone`, built with `zonedTimeToUtc`, so DST is right;
 * - nothing that happened is dated after now: events of later days are left out (the demo shows the
 *   story as it stood on that day); if today's events would fall after now (the demo loaded early in
 *   the morning) they are compressed, in order, into the part of today already gone. Promises (expected
 *   dates, next update by, scheduled maintenance) may lie in the future.
 * - events are played in time order, so every service's status history is written chronologically.
 */
import type { Locale, LocalizedText, MaintenanceStatus, ServiceStatus } from '../domain/vocab.ts';
import { intlLocale } from '../domain/i18n.ts';
import { formatEndDateTime, zonedParts, zonedTimeToUtc } from '../domain/time.ts';
import { createService, recordBacklogSample, setServiceStatus } from '../services/catalog.ts';
import { type Ctx, inTransaction } from '../services/context.ts';
import { createIncident, postIncidentUpdate, publishPostmortem } from '../services/incidents.ts';
import { scheduleMaintenance } from '../services/maintenance.ts';
import { publishNotice } from '../services/notices.ts';
import { addFaqEntry, addMilestone, changeMilestone } from '../services/recovery.ts';
import { type At, MAIN_INCIDENT, STORY, type StatusChanges, type Story, type Text, at } from './story.ts';

export type DemoOptions = { today: Date; day: number };

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
/** The latest update of an open incident promises the next one this long after now (rounded up to the half hour). */
const NEXT_UPDATE_AFTER = 3 * HOUR;

export async function loadDemoScenario(ctx: Ctx, opts: DemoOptions): Promise<void> {
  await inTransaction(ctx, (tx) => playStory(tx, STORY, opts));
}

/** Plays a story with the caller's transaction handling; `loadDemoScenario` is the entry point. */
export async function playStory(realCtx: Ctx, story: Story, { today, day }: DemoOptions): Promise<void> {
  if (!Number.isInteger(day)) throw new RangeError(`demo day must be a whole number, got ${day}`);
  const now = realCtx.now();
  /**
   * While a step that happened at `when` runs, the services' clock reads `when`: what they stamp by themselves
   * (created_at of an update, the time a milestone's change is announced in the feeds) is then the story's time,
   * not the moment the demo was loaded.
   */
  let playing: Date | undefined;
  const ctx: Ctx = { ...realCtx, now: () => playing ?? now };
  const clock = storyClock(ctx.timeZone, today, day, now, happenedTimes(story));
  const ids = { incidents: new Map<string, string>(), milestones: new Map<string, string>() };
  const ends = new Map(story.services.flatMap((s) => (s.temporary ? [[s.key, s.temporary.until] as const] : [])));
  const text = textRenderer(ctx, clock.wall, ids.incidents, new Set(story.faq.map((f) => f.slug)), ends);

  const steps: Step[] = [];
  let seq = 0;
  /** Queues `run`; steps run by story time (`order`), then in the order they were queued. */
  const schedule = (order: number, run: () => Promise<void>, when?: Date) => steps.push({ order, seq: seq++, run, when });
  /** Queues something that happened at `a`, to be written dated `when`; left out if it lies after now. */
  const happened = (a: At, run: (when: Date) => Promise<void>) => {
    const when = clock.past(a);
    if (when) schedule(clock.wall(a).getTime(), () => run(when), when);
  };

  // The catalogue: permanent services exist for the whole history (95 days, or more when a late anchor day
  // pushes the story's earliest events further back); a temporary one opens when the story opens it.
  const earliestDay = Math.min(day - story.historyDays, ...happenedTimes(story).map((a) => a.day));
  const since = clock.wall(at(earliestDay));
  for (const s of story.services) {
    const base = {
      key: s.key,
      name: s.name,
      description: s.description,
      groupName: s.group,
      sortOrder: s.sortOrder,
    };
    if (!s.temporary) {
      schedule(Number.NEGATIVE_INFINITY, async () => void (await createService(ctx, { ...base, since })));
    } else {
      const until = clock.wall(s.temporary.until);
      happened(s.temporary.from, async (when) => {
        await createService(ctx, { ...base, availableFrom: when, availableUntil: until, since: when });
      });
    }
  }

  for (const incident of story.incidents) {
    const played = incident.updates
      .map((u) => ({ u, when: clock.past(u.at) }))
      .filter((p): p is { u: (typeof incident.updates)[number]; when: Date } => p.when !== null);
    if (played.length === 0) continue;
    const last = played.at(-1)!;
    const open = last.u.status !== 'resolved' && last.u.status !== 'postmortem';
    const promise = new Date(Math.ceil((now.getTime() + NEXT_UPDATE_AFTER) / (30 * MINUTE)) * 30 * MINUTE);
    played.forEach(({ u, when }, i) => {
      const nextUpdateBy = i === played.length - 1 && open ? promise : u.nextBy ? clock.wall(u.nextBy) : undefined;
      schedule(clock.wall(u.at).getTime(), async () => {
        // Rendered when played: FAQ links need the main incident's id. The story is history by the time anyone
        // could subscribe, so it pages nobody (events still feed the page and the feeds).
        const common = { status: u.status, body: text(u.body), services: changes(u.services), nextUpdateBy, notify: false };
        if (i === 0) {
          const { incident: row } = await createIncident(ctx, {
            ...common,
            title: text(incident.title),
            impact: incident.impact,
            startedAt: when,
          });
          ids.incidents.set(incident.key, row.id);
        } else {
          await postIncidentUpdate(ctx, {
            ...common,
            incidentId: need(ids.incidents, incident.key),
            displayAt: when,
            impact: u.impact,
          });
        }
      }, when);
    });
    const postmortem = incident.postmortem;
    if (postmortem && !open) {
      happened(postmortem.at, async (when) => {
        await publishPostmortem(ctx, { incidentId: need(ids.incidents, incident.key), body: text(postmortem.body), at: when });
      });
    }
  }

  story.milestones.forEach((m, index) => {
    happened(m.listedAt, async () => {
      const row = await addMilestone(ctx, {
        incidentId: need(ids.incidents, m.incident),
        title: text(m.title),
        description: m.description && text(m.description),
        service: m.service,
        state: 'planned',
        expectedAt: m.expected && clock.wall(m.expected),
        sortOrder: index,
      });
      ids.milestones.set(m.key, row.id);
    });
    for (const c of m.changes) {
      happened(c.at, async (when) => {
        await changeMilestone(ctx, {
          milestoneId: need(ids.milestones, m.key),
          state: c.state,
          expectedAt: c.expected && clock.wall(c.expected),
          actualAt: c.state === 'done' ? when : undefined,
          delayReason: c.reason && text(c.reason),
        });
      });
    }
  });

  for (const n of story.notices) {
    happened(n.at, async (when) => {
      await publishNotice(ctx, {
        incidentId: need(ids.incidents, n.incident),
        title: text(n.title),
        body: text(n.body),
        audience: text(n.audience),
        action: text(n.action),
        services: n.services,
        windows: n.windows.map((w) => ({
          scope: text(w.scope),
          restoredUntil: clock.wall(w.restoredUntil),
          gapEndsAt: w.gapEndsAt && clock.wall(w.gapEndsAt),
          pending: w.pending,
        })),
        publishedAt: when,
      });
    });
  }

  story.faq.forEach((f, index) => {
    happened(f.at, async () => {
      await addFaqEntry(ctx, {
        incidentId: need(ids.incidents, f.incident),
        slug: f.slug,
        question: text(f.question),
        answer: text(f.answer),
        sortOrder: index,
      });
    });
  });

  for (const b of story.backlog) {
    for (const s of b.samples) {
      happened(s.at, async (when) => {
        const oldest = 'minutes' in s.oldest ? s.oldest.minutes * MINUTE : when.getTime() - clock.wall(s.oldest).getTime();
        await recordBacklogSample(ctx, {
          service: b.service,
          metric: b.metric,
          label: text(b.label),
          count: s.count,
          oldestAgeSeconds: Math.max(0, Math.round(oldest / 1000)),
          measuredAt: when,
        });
      });
    }
  }

  for (const m of story.maintenances) {
    const start = clock.wall(m.start);
    const end = clock.wall(m.end);
    const status: MaintenanceStatus = end <= now ? 'completed' : start <= now ? 'in_progress' : 'scheduled';
    const input = () => ({ title: text(m.title), body: text(m.body), services: m.services, scheduledStart: start, scheduledEnd: end, status });
    if (!m.marksStatus) {
      // An announcement: written last, it has no place in the status history.
      schedule(Number.POSITIVE_INFINITY, async () => void (await scheduleMaintenance(ctx, input())));
      continue;
    }
    let maintenanceId: string | undefined;
    // One after the other: each status change is a savepoint on the same transaction.
    const mark = async (status: ServiceStatus, when: Date) => {
      for (const service of m.services) {
        await setServiceStatus(ctx, { service, status, source: 'maintenance', at: when, maintenanceId });
      }
    };
    happened(m.start, async (when) => {
      maintenanceId = (await scheduleMaintenance(ctx, input())).id;
      await mark('under_maintenance', when);
    });
    happened(m.end, (when) => mark('operational', when));
  }

  steps.sort((a, b) => a.order - b.order || a.seq - b.seq);
  for (const step of steps) {
    playing = step.when;
    await step.run();
  }
}

type Step = { order: number; seq: number; run: () => Promise<void>; when?: Date };

function changes(services: StatusChanges | undefined) {
  return Object.entries(services ?? {}).map(([service, status]) => ({ service, status: status as ServiceStatus }));
}

function need(map: Map<string, string>, key: string): string {
  const id = map.get(key);
  if (!id) throw new Error(`demo story: "${key}" is used before it exists`);
  return id;
}

/** Every time at which something is said to have happened (not promises or expectations). */
function happenedTimes(story: Story): At[] {
  return [
    ...story.services.flatMap((s) => (s.temporary ? [s.temporary.from] : [])),
    ...story.incidents.flatMap((i) => [...i.updates.map((u) => u.at), ...(i.postmortem ? [i.postmortem.at] : [])]),
    ...story.milestones.flatMap((m) => [m.listedAt, ...m.changes.map((c) => c.at)]),
    ...story.notices.map((n) => n.at),
    ...story.faq.map((f) => f.at),
    ...story.backlog.flatMap((b) => b.samples.map((s) => s.at)),
    ...story.maintenances.filter((m) => m.marksStatus).flatMap((m) => [m.start, m.end]),
  ];
}

export type StoryClock = {
  /** The instant of "day N at HH:MM" in the zone, day `anchorDay` being today's calendar day. */
  wall(a: At): Date;
  /** When an event of the story is shown to have happened, or null when it lies after now. */
  past(a: At): Date | null;
};

export function storyClock(timeZone: string, today: Date, anchorDay: number, now: Date, happened: At[]): StoryClock {
  const base = zonedParts(today, timeZone);
  const wall = (a: At): Date => {
    const m = /^(\d{1,2}):(\d{2})$/.exec(a.time);
    if (!m) throw new RangeError(`demo story: bad time "${a.time}"`);
    return zonedTimeToUtc(timeZone, base.year, base.month, base.day + a.day - anchorDay, Number(m[1]), Number(m[2]));
  };
  const dayStart = wall(at(anchorDay)).getTime();
  const dayEnd = wall(at(anchorDay + 1)).getTime();
  const nowMs = now.getTime();
  const nowInAnchorDay = nowMs >= dayStart && nowMs < dayEnd;
  // Today's events are squeezed (keeping their order) into [midnight, now - margin] when the latest lies after it.
  let ratio = 1;
  if (nowInAnchorDay) {
    const latest = Math.max(dayStart, ...happened.map((a) => wall(a).getTime()).filter((t) => t >= dayStart && t < dayEnd));
    const limit = nowMs - Math.min(10 * MINUTE, (nowMs - dayStart) / 4);
    if (latest > limit) ratio = (limit - dayStart) / (latest - dayStart);
  }
  const past = (a: At): Date | null => {
    const t = wall(a).getTime();
    if (ratio < 1 && t >= dayStart && t < dayEnd) {
      return new Date(dayStart + Math.floor(((t - dayStart) * ratio) / MINUTE) * MINUTE);
    }
    return t <= nowMs ? new Date(t) : null;
  };
  return { wall, past };
}

/**
 * Fills the story's tokens ({{d:N}}, {{wd:N}}, {{del:N}} and the other Italian articles, {{faq:slug}},
 * {{until:service}}) for each language.
 */
function textRenderer(ctx: Ctx, wall: (a: At) => Date, incidents: Map<string, string>, slugs: Set<string>, ends: Map<string, At>) {
  const formatter = (locale: Locale, weekday: boolean) =>
    new Intl.DateTimeFormat(intlLocale(locale), {
      timeZone: ctx.timeZone,
      ...(weekday ? { weekday: 'long' as const } : {}),
      day: 'numeric',
      month: 'long',
    });
  const plain = { it: formatter('it', false), en: formatter('en', false) };
  const withWeekday = { it: formatter('it', true), en: formatter('en', true) };
  const monthIt = new Intl.DateTimeFormat('it-IT', { timeZone: ctx.timeZone, month: 'long' });
  // Noon: the calendar date of day n whatever DST does around midnight.
  const dateOf = (arg: string, token: string) => {
    const n = Number(arg);
    if (!Number.isInteger(n)) throw new Error(`demo story: bad day in {{${token}:${arg}}}`);
    return wall(at(n, '12:00'));
  };
  /** "dell’8 marzo", "al 12 marzo", "il 1º marzo": Italian elides the article before otto and undici. */
  const italianArticle = (preposition: string, date: Date) => {
    const day = zonedParts(date, ctx.timeZone).day;
    const elided = day === 8 || day === 11;
    const forms: Record<string, [string, string]> = {
      il: ['il ', 'l’'],
      al: ['al ', 'all’'],
      del: ['del ', 'dell’'],
      dal: ['dal ', 'dall’'],
      Dal: ['Dal ', 'Dall’'],
    };
    const [full, short] = forms[preposition]!;
    return `${elided ? short : full}${day === 1 ? '1º' : day} ${monthIt.format(date)}`;
  };
  const fill = (source: string, locale: Locale): string =>
    source.replace(/\{\{(d|wd|il|al|del|dal|Dal|faq|until):([^}]+)\}\}/g, (_all, kind: string, arg: string) => {
      if (kind === 'until') {
        const end = ends.get(arg);
        if (!end) throw new Error(`demo story: no temporary service "${arg}"`);
        return formatEndDateTime(wall(end), locale, ctx.timeZone);
      }
      if (kind === 'faq') {
        if (!slugs.has(arg)) throw new Error(`demo story: no FAQ entry "${arg}"`);
        return `${ctx.siteUrl}${localePrefix(locale)}/incidents/${need(incidents, MAIN_INCIDENT)}#${arg}`;
      }
      const date = dateOf(arg, kind);
      if (kind === 'd') return plain[locale].format(date);
      if (kind === 'wd') return withWeekday[locale].format(date);
      if (locale !== 'it') throw new Error(`demo story: {{${kind}:${arg}}} is for Italian texts`);
      return italianArticle(kind, date);
    });
  return (t: Text): LocalizedText => ({ it: fill(t.it, 'it'), en: fill(t.en, 'en') });
}

function localePrefix(locale: Locale): string {
  return locale === 'it' ? '' : `/${locale}`;
}
