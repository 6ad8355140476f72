/**
 * `npm run bench:fanout [-- --subscribers 100000 --rate 2]`: N confirmed subscribers, one incident published
 * through the real service, the real worker sending through the real Resend SDK to the local stand-in at the
 * provider's rate limit. Prints progress, then: time to commit the publish, e-mails/s vs the ceiling
 * (requests/s × 100), total time, duplicates, losses, peak RSS and peak JS heap, and the load average. Uses
 * DATABASE_URL, else TEST_DATABASE_URL (so `bash .ci/with-postgres.sh npm run bench:fanout` runs on a throwaway
 * PostgreSQL), else an in-memory PGlite (whose data lives in this process: RSS grows with the rows there).
 */
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { sql } from 'drizzle-orm';
import { openDatabase } from '../../db/client.ts';
import { emailMessages } from '../../db/schema/index.ts';
import { registerEmailHandlers } from '../../src/delivery/setup.ts';
import { templatesAlertMail } from '../../src/delivery/alert-mail.ts';
import { pendingJobs } from '../../src/delivery/outbox.ts';
import { resendTransport } from '../../src/delivery/transport.ts';
import { startWorker } from '../../src/delivery/worker.ts';
import { createService } from '../../src/services/catalog.ts';
import type { Ctx } from '../../src/services/context.ts';
import { createIncident } from '../../src/services/incidents.ts';
import { startResendStandin } from '../support/resend-standin.ts';

const { values: args } = parseArgs({ options: { subscribers: { type: 'string', default: '100000' }, rate: { type: 'string', default: '2' } } });
const total = Number(args.subscribers);
const rate = Number(args.rate);
const ceiling = rate * 100;

// RSS includes an in-memory PGlite's data (it grows with the rows); the JS heap is what the worker holds.
let peakRss = process.memoryUsage().rss;
let peakHeap = process.memoryUsage().heapUsed;
const sampler = setInterval(() => {
  const m = process.memoryUsage();
  peakRss = Math.max(peakRss, m.rss);
  peakHeap = Math.max(peakHeap, m.heapUsed);
}, 250);
// heapUsed also counts young garbage not yet collected (up to the size of V8's young generation, which V8 sizes
// from the machine's memory): what the process really HOLDS is the heap right after a full collection, sampled
// every 5 s. That is the figure that must stay flat whatever the number of subscribers.
setFlagsFromString('--expose-gc');
const fullGc = runInNewContext('gc') as () => void;
let peakLiveHeap = 0;
const liveSampler = setInterval(() => {
  fullGc();
  peakLiveHeap = Math.max(peakLiveHeap, process.memoryUsage().heapUsed);
}, 5000);
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;

const database = await openDatabase({ databaseUrl: process.env.DATABASE_URL || process.env.TEST_DATABASE_URL || undefined });
const loadAtStart = loadavg();
await database.migrate('db/migrations');
const ctx = (): Ctx => ({
  db: database.db,
  now: () => new Date(),
  actor: { kind: 'operator', id: 'bench', role: 'admin' },
  timeZone: 'Europe/Rome',
  siteUrl: 'https://status.example.test',
});

const service = await createService(ctx(), { key: `bench-${Date.now()}`, name: { it: 'Fatturazione', en: 'Invoicing' } });
// Subscribers are made by the database itself: the benchmark process never holds the list either.
await database.db.execute(sql`
  insert into subscribers (id, email, locale, all_services, service_keys, state, confirmed_at)
  select 'b' || lpad(g::text, 11, '0'), 'bench-' || g || '@example.test',
         case when g % 3 = 0 then 'en' else 'it' end,
         g % 4 <> 0,
         case when g % 4 = 0 then jsonb_build_array(${service.key}::text) else '[]'::jsonb end,
         'confirmed', now()
  from generate_series(1, ${total}) g`);
console.log(`[bench] ${total} confirmed subscribers on ${database.kind}; stand-in at ${rate} requests/s (ceiling ${ceiling} e-mails/s)`);

const standin = await startResendStandin({ ratePerSecond: rate, record: 'count' });
const host = { ctx };
registerEmailHandlers({
  transport: resendTransport({ apiKey: 're_bench_key', baseUrl: standin.url }),
  from: 'Vedetta <status@example.test>',
  requestsPerSecond: rate,
  alertMail: templatesAlertMail,
  host,
});
const worker = startWorker(host, { pollMs: 200, log: { info: () => {}, error: (m, e) => console.error(`[bench] ${m}`, e) } });

const publishStart = performance.now();
await createIncident(ctx(), {
  title: { it: 'Fatturazione elettronica non disponibile', en: 'E-invoicing unavailable' },
  impact: 'major',
  body: { it: 'Stiamo verificando.', en: 'We are investigating.' },
  services: [{ service: service.key, status: 'major_outage' }],
});
const publishMs = performance.now() - publishStart;
worker.wake();
console.log(`[bench] publish committed in ${publishMs.toFixed(1)} ms`);

const accepted = () => [...standin.perAddress.values()].reduce((a, b) => a + b, 0);
let firstAt = 0;
const progress = setInterval(() => {
  const n = accepted();
  const secs = firstAt ? (performance.now() - firstAt) / 1000 : 0;
  console.log(`[bench] ${n}/${total} accepted, ${secs ? (n / secs).toFixed(1) : '0'} e-mails/s, rss ${mb(process.memoryUsage().rss)}, heap ${mb(process.memoryUsage().heapUsed)}`);
}, 10_000);
for (;;) {
  await new Promise((r) => setTimeout(r, 100));
  const n = accepted();
  if (n > 0 && !firstAt) firstAt = performance.now();
  if (n >= total && (await pendingJobs(ctx(), ['event.dispatch', 'email.fanout', 'email.batch'])) === 0) break;
}
const doneAt = performance.now();
clearInterval(progress);
await worker.stop();

const duplicates = [...standin.perAddress.values()].reduce((a, n) => a + Math.max(0, n - 1), 0);
const losses = total - standin.perAddress.size;
const states = await database.db
  .select({ state: emailMessages.state, n: sql<number>`count(*)::int` })
  .from(emailMessages)
  .groupBy(emailMessages.state);
// Throughput over the sending period: from the first accepted e-mail, plus one slot for it.
const sendSecs = (doneAt - firstAt) / 1000 + 1 / rate;
const perSecond = total / sendSecs;
clearInterval(sampler);
clearInterval(liveSampler);
console.log('');
console.log(`[bench] subscribers           ${total}`);
console.log(`[bench] publish commit        ${publishMs.toFixed(1)} ms`);
console.log(`[bench] e-mails/s             ${perSecond.toFixed(1)} of a ${ceiling} ceiling (${((perSecond / ceiling) * 100).toFixed(1)} %)`);
console.log(`[bench] total time            ${((doneAt - publishStart) / 1000).toFixed(1)} s (publish to last accepted)`);
console.log(`[bench] provider requests     ${standin.requests.length} (${standin.rateLimited} answered 429)`);
console.log(`[bench] duplicates            ${duplicates}`);
console.log(`[bench] losses                ${losses}`);
console.log(`[bench] message states        ${states.map((s) => `${s.state}=${s.n}`).join(' ')}`);
console.log(`[bench] peak RSS              ${mb(peakRss)} (peak JS heap ${mb(peakHeap)}, garbage included)`);
console.log(`[bench] peak live JS heap     ${mb(peakLiveHeap)} (right after a full GC, every 5 s)`);
const load = (l: number[]) => l.map((v) => v.toFixed(2)).join(' ');
console.log(`[bench] load average          ${load(loadAtStart)} at start, ${load(loadavg())} at the end (1, 5, 15 min)`);
await standin.close();
await database.close();
