/**
 * The large data set of issue 6 ("large history stays fast"), for the benchmarks:
 *   - the demo scenario (its 6 permanent services, the open outage, plan, notices) anchored to `now`;
 *   - 90 days of per-minute heartbeats for each permanent service (~780k rows in heartbeat_minutes);
 *   - 2,000 past incidents (resolved or with a postmortem) over the two years before, 10 updates each, with their
 *     events and, inside the 90 days of bars, the status intervals they caused;
 *   - 100 milestones on the most recent past incidents;
 *   - 100,000 confirmed subscribers.
 * Rows are made inside the database (`generate_series`, `INSERT … SELECT`), so loading takes seconds, not minutes.
 * Ids are derived from a counter (md5), so two loads make the same rows.
 *
 * As a module: `loadLargeData(db, opts)` fills a migrated, empty database; `prepareLargeDataDir()` returns a
 * PGlite DATA_DIR holding the set, generated once and cached under node_modules/.cache (copy it before letting a
 * server write to it).
 * As a CLI: `node tests/bench/large-data.ts` fills DATABASE_URL if set, else the cached folder, and prints where.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import { type Db, openDatabase } from '../../db/client.ts';
import { loadDemoScenario } from '../../src/demo/scenario.ts';
import { type Ctx, SYSTEM_ACTOR } from '../../src/services/context.ts';

export type LargeDataOptions = {
  /** The instant the data set ends at (default: now). */
  now?: Date;
  timeZone?: string;
  heartbeatDays?: number;
  incidents?: number;
  updatesPerIncident?: number;
  milestones?: number;
  subscribers?: number;
  /** Progress lines (default console.log). */
  log?: (line: string) => void;
};

export type LargeDataSummary = Record<
  'services' | 'heartbeatMinutes' | 'incidents' | 'updates' | 'milestones' | 'subscribers' | 'statusIntervals' | 'events',
  number
>;

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const MIGRATIONS_DIR = join(ROOT, 'db/migrations');
const DAY_MS = 86_400_000;
/** Past incidents are spread over this many days before the demo's own story. */
const HISTORY_SPAN_DAYS = 730;
/** Bump when the generated content changes, so the cached folder is rebuilt. */
const GENERATOR_VERSION = 1;

const DEFAULTS = {
  heartbeatDays: 90,
  incidents: 2_000,
  updatesPerIncident: 10,
  milestones: 100,
  subscribers: 100_000,
};

export async function loadLargeData(db: Db, opts: LargeDataOptions = {}): Promise<LargeDataSummary> {
  const now = opts.now ?? new Date();
  const timeZone = opts.timeZone ?? 'Europe/Rome';
  const log = opts.log ?? ((line: string) => console.log(line));
  const o = { ...DEFAULTS, ...opts };
  const started = performance.now();
  const step = async (label: string, run: () => Promise<unknown>) => {
    const t0 = performance.now();
    await run();
    log(`[large-data] ${label} (${Math.round(performance.now() - t0)} ms)`);
  };

  const [existing] = await rows<{ n: number }>(db, sql`select count(*)::int as n from services`);
  if (existing!.n > 0) throw new Error('loadLargeData needs an empty database (services already exist)');

  const ctx: Ctx = { db, now: () => now, actor: SYSTEM_ACTOR, timeZone, siteUrl: 'http://localhost:4321' };
  await step('demo scenario (services, the open outage, plan, notices)', () => loadDemoScenario(ctx, { today: now, day: 19 }));

  const permanent = await rows<{ id: string; key: string }>(
    db,
    sql`select id, key from services where available_until is null order by sort_order, key`,
  );
  const ids = permanent.map((s) => s.id);
  const keys = permanent.map((s) => s.key);
  const idArray = sql`${`{${ids.join(',')}}`}::text[]`;
  const keyArray = sql`${`{${keys.join(',')}}`}::text[]`;
  const nowSql = sql`${now.toISOString()}::timestamptz`;

  // Heartbeats, one service and ten days per statement, so progress shows.
  for (const [i, id] of ids.entries()) {
    for (let from = o.heartbeatDays; from > 0; from -= 10) {
      const to = Math.max(0, from - 10);
      await db.execute(sql`
        insert into heartbeat_minutes (service_id, minute, count)
        select ${id}, m, 1 + (extract(epoch from m)::bigint % 4)::int
        from generate_series(
          date_trunc('minute', ${nowSql}) - make_interval(days => ${from}),
          date_trunc('minute', ${nowSql}) - make_interval(days => ${to}) - interval '1 minute',
          interval '1 minute') as m`);
    }
    log(`[large-data] heartbeats: ${i + 1}/${ids.length} services, ${o.heartbeatDays} days each`);
  }

  // The demo's story begins ~95 days ago; the archive lies before and around it, newest ending 25 days ago.
  const archiveEnd = new Date(now.getTime() - 25 * DAY_MS);
  const archiveStart = new Date(archiveEnd.getTime() - HISTORY_SPAN_DAYS * DAY_MS);
  const n = o.incidents;
  await step(`${n} past incidents`, () =>
    db.execute(sql`
      insert into incidents (id, title, impact, status, started_at, resolved_at, postmortem, postmortem_at, version, created_at, updated_at)
      select 'h' || substr(md5('incident-' || i), 1, 11),
        jsonb_build_object(
          'it', (array['Rallentamenti nell''invio', 'Ricezione fatture in ritardo', 'Sito non raggiungibile', 'Abbinamento ricevute sospeso'])[1 + i % 4] || ' (n. ' || i || ')',
          'en', (array['Slow sending', 'Delayed invoice receipt', 'Website unreachable', 'Receipt matching paused'])[1 + i % 4] || ' (no. ' || i || ')'),
        (array['minor', 'major', 'critical', 'none'])[1 + i % 4],
        case when i % 10 = 0 then 'postmortem' else 'resolved' end,
        s.started, s.started + s.duration,
        case when i % 10 = 0 then jsonb_build_object('it', '## Cause\n\nUn aggiornamento del bilanciatore ha esaurito le connessioni.', 'en', '## Cause\n\nA load balancer upgrade exhausted the connections.') end,
        case when i % 10 = 0 then s.started + s.duration + interval '3 days' end,
        ${o.updatesPerIncident}, s.started, s.started + s.duration
      from generate_series(1, ${n}) as i,
        lateral (select
          ${archiveStart.toISOString()}::timestamptz + (i - 1) * (${archiveEnd.toISOString()}::timestamptz - ${archiveStart.toISOString()}::timestamptz) / ${n}
            + make_interval(mins => (i * 7919) % 600) as started,
          make_interval(mins => 20 + (i * 37) % 400) as duration) as s`),
  );
  await step('incident services', () =>
    db.execute(sql`
      insert into incident_services (incident_id, service_id)
      select distinct inc.id, (${idArray})[1 + (k.i + k.j) % ${ids.length}]
      from (select i, j from generate_series(1, ${n}) as i, generate_series(0, 1) as j where j = 0 or i % 3 = 0) as k
      join incidents inc on inc.id = 'h' || substr(md5('incident-' || k.i), 1, 11)`),
  );
  await step(`${n * o.updatesPerIncident} incident updates and their events`, async () => {
    await db.execute(sql`
      insert into incident_updates (id, incident_id, status, body, display_at, notify, created_at)
      select 'u' || substr(md5('update-' || inc.id || '-' || u), 1, 11), inc.id,
        case when u = 1 then 'investigating' when u < 4 then 'identified' when u < ${o.updatesPerIncident} then 'monitoring' else 'resolved' end,
        jsonb_build_object(
          'it', 'Aggiornamento ' || u || ': stiamo seguendo il problema. Le fatture inviate restano **in coda** e saranno trasmesse senza doverle rinviare. Prossimo aggiornamento entro un''ora.',
          'en', 'Update ' || u || ': we are working on the problem. Invoices already sent stay **queued** and will go out without being sent again. Next update within the hour.'),
        inc.started_at + (inc.resolved_at - inc.started_at) * (u - 1) / greatest(${o.updatesPerIncident} - 1, 1),
        true,
        inc.started_at + (inc.resolved_at - inc.started_at) * (u - 1) / greatest(${o.updatesPerIncident} - 1, 1)
      from incidents inc, generate_series(1, ${o.updatesPerIncident}) as u
      where inc.id like 'h%'`);
    await db.execute(sql`
      insert into events (id, type, incident_id, subject_id, service_keys, title, body, data, notify, occurred_at)
      select 'e' || substr(u.id, 2), case u.status when 'investigating' then 'incident.created' when 'resolved' then 'incident.resolved' else 'incident.updated' end,
        inc.id, u.id,
        coalesce((select jsonb_agg(s.key order by s.key) from incident_services l join services s on s.id = l.service_id where l.incident_id = inc.id), '[]'::jsonb),
        inc.title, u.body, jsonb_build_object('status', u.status, 'impact', inc.impact), true, u.display_at
      from incident_updates u join incidents inc on inc.id = u.incident_id
      where inc.id like 'h%'`);
  });
  // Inside the bars' window the archive incidents also changed the services' status (closed intervals).
  await step('status intervals of the recent archive incidents', () =>
    db.execute(sql`
      insert into status_intervals (id, service_id, status, source, incident_id, started_at, ended_at)
      select 'i' || substr(md5('interval-' || inc.id || l.service_id), 1, 11), l.service_id,
        case inc.impact when 'minor' then 'degraded_performance' when 'major' then 'partial_outage' else 'major_outage' end,
        'incident', inc.id, inc.started_at, inc.resolved_at
      from incidents inc join incident_services l on l.incident_id = inc.id
      where inc.id like 'h%' and inc.impact <> 'none' and inc.started_at > ${nowSql} - make_interval(days => ${o.heartbeatDays})`),
  );
  await step(`${o.milestones} milestones`, () =>
    db.execute(sql`
      insert into milestones (id, incident_id, service_id, title, state, expected_at, actual_at, sort_order, created_at, updated_at)
      select 'm' || substr(md5('milestone-' || k), 1, 11), inc.id, (${idArray})[1 + k % ${ids.length}],
        jsonb_build_object('it', 'Passo ' || (k % 10 + 1) || ' del ripristino', 'en', 'Recovery step ' || (k % 10 + 1)),
        'done', inc.started_at + make_interval(mins => 10 * (k % 10 + 1)), inc.started_at + make_interval(mins => 12 * (k % 10 + 1)),
        k % 10, inc.started_at, inc.resolved_at
      from generate_series(0, ${o.milestones - 1}) as k
      join lateral (select id, started_at, resolved_at from incidents where id like 'h%'
                    order by started_at desc offset k / 10 limit 1) as inc on true`),
  );
  await step(`${o.subscribers} confirmed subscribers`, () =>
    db.execute(sql`
      insert into subscribers (id, email, locale, all_services, service_keys, state, consent, confirmed_at, source, created_at, updated_at)
      select 's' || substr(md5('subscriber-' || i), 1, 11), 'reader' || i || '@example.test',
        case when i % 4 = 0 then 'en' else 'it' end,
        i % 5 <> 0,
        case when i % 5 = 0 then jsonb_build_array((${keyArray})[1 + i % ${keys.length}]) else '[]'::jsonb end,
        'confirmed', 'double_opt_in', ${nowSql} - make_interval(mins => i), 'public',
        ${nowSql} - make_interval(mins => i), ${nowSql} - make_interval(mins => i)
      from generate_series(1, ${o.subscribers}) as i`),
  );
  // The generated past is already told: nothing in it may be e-mailed to the 100,000 readers when a worker starts.
  await step('mark the history as delivered, analyze', async () => {
    await db.execute(sql`update outbox set state = 'done'`);
    await db.execute(sql`analyze`);
  });

  const [summary] = await rows<LargeDataSummary>(
    db,
    sql`select
      (select count(*)::int from services) as "services",
      (select count(*)::int from heartbeat_minutes) as "heartbeatMinutes",
      (select count(*)::int from incidents) as "incidents",
      (select count(*)::int from incident_updates) as "updates",
      (select count(*)::int from milestones) as "milestones",
      (select count(*)::int from subscribers) as "subscribers",
      (select count(*)::int from status_intervals) as "statusIntervals",
      (select count(*)::int from events) as "events"`,
  );
  log(`[large-data] done in ${((performance.now() - started) / 1000).toFixed(1)} s: ${JSON.stringify(summary)}`);
  return summary!;
}

/** Rows of a raw query on either driver (PGlite answers `{ rows }`, postgres.js an array). */
async function rows<T>(db: Db, query: ReturnType<typeof sql>): Promise<T[]> {
  const result = (await db.execute(query)) as unknown as T[] | { rows: T[] };
  return Array.isArray(result) ? result : result.rows;
}

/** Changes when the migrations or the generator change: a cached folder is only reused for the same schema. */
function cacheKey(): string {
  const hash = createHash('sha256').update(`v${GENERATOR_VERSION}`);
  for (const file of readdirSync(MIGRATIONS_DIR).filter((f) => f.endsWith('.sql')).sort()) {
    hash.update(file).update(readFileSync(join(MIGRATIONS_DIR, file)));
  }
  return hash.digest('hex').slice(0, 16);
}

/**
 * A PGlite DATA_DIR holding the large data set (`<dir>/pglite`), generated on first use and cached under
 * node_modules/.cache/vedetta-bench. Treat it as read-only: copy it before starting a server on it.
 */
export async function prepareLargeDataDir(log: (line: string) => void = console.log): Promise<string> {
  const dir = join(ROOT, 'node_modules/.cache/vedetta-bench', `large-${cacheKey()}`);
  if (existsSync(join(dir, 'complete'))) {
    log(`[large-data] reusing ${dir}`);
    return dir;
  }
  const building = `${dir}.building-${process.pid}`;
  rmSync(building, { recursive: true, force: true });
  log(`[large-data] generating into ${dir} (first run only)`);
  const database = await openDatabase({ dataDir: building });
  try {
    await database.migrate(MIGRATIONS_DIR);
    await loadLargeData(database.db, { log });
  } finally {
    await database.close();
  }
  rmSync(dir, { recursive: true, force: true });
  renameSync(building, dir);
  // Written last: a folder without it is a run that was interrupted.
  writeFileSync(join(dir, 'complete'), new Date().toISOString());
  return dir;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const url = process.env.DATABASE_URL;
  if (url) {
    const database = await openDatabase({ databaseUrl: url });
    try {
      await database.migrate(MIGRATIONS_DIR);
      await loadLargeData(database.db);
    } finally {
      await database.close();
    }
  } else {
    const dir = await prepareLargeDataDir();
    console.log(`[large-data] DATA_DIR=${dir} (copy it before serving from it: the server writes)`);
  }
}
