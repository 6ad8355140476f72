import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { requestsInFlight } from './lifecycle.ts';

/**
 * The process's Prometheus metrics. prom-client writes the text exposition format (0.0.4) and brings the
 * standard process metrics (resident memory, event-loop lag, GC, open handles) that an operator wants beside
 * ours; hand-writing the escaping and the histogram buckets would only reproduce it.
 *
 * Everything lives in registries of this module (not prom-client's global one), so a test or a second copy
 * of the module cannot collide on names. Callers use the small functions below, never the metric objects, so
 * the label sets stay bounded: route PATTERNS (`/incidents/[slug]`, `/api/v1/incidents/:id`), never raw paths.
 *
 * Two registries, because they add up differently when one server runs several worker processes
 * (WEB_CONCURRENCY, src/server/cluster-metrics.ts): `registry` holds what each process counts by itself
 * (requests, cache lookups, e-mails, memory), summed over the workers; `databaseRegistry` holds figures read
 * from the shared database at scrape time, the same whichever worker reads them, so they must not be summed.
 */
export const registry = new Registry();
collectDefaultMetrics({ register: registry });
const databaseRegistry = new Registry();

/** Request latency buckets in seconds: the hot path answers in about a millisecond, a cold render in tens. */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

const httpRequests = new Counter({
  name: 'vedetta_http_requests_total',
  help: 'HTTP requests answered, by method, route pattern and status code.',
  labelNames: ['method', 'route', 'status'] as const,
  registers: [registry],
});

const httpDuration = new Histogram({
  name: 'vedetta_http_request_duration_seconds',
  help: 'Time to answer an HTTP request (until the response headers), by method, route pattern and status class.',
  labelNames: ['method', 'route', 'status'] as const,
  buckets: LATENCY_BUCKETS,
  registers: [registry],
});

new Gauge({
  name: 'vedetta_http_requests_in_flight',
  help: 'HTTP requests being answered right now (the scrape included); a stop waits for these.',
  registers: [registry],
  collect() {
    this.set(requestsInFlight());
  },
});

const cacheLookups = new Counter({
  name: 'vedetta_cache_lookups_total',
  help: 'In-memory public cache lookups: hit (fresh), stale (served while refreshing or because the database failed), miss (rendered).',
  labelNames: ['result'] as const,
  registers: [registry],
});

const outboxDepth = new Gauge({
  name: 'vedetta_outbox_depth',
  help: 'Outbox rows waiting to be delivered (state pending), by kind; read from the database at scrape time.',
  labelNames: ['kind'] as const,
  registers: [databaseRegistry],
});

const outboxOldest = new Gauge({
  name: 'vedetta_outbox_oldest_pending_seconds',
  help: 'Age of the oldest pending outbox row, by kind (0 when none): a queue that stops moving shows here first.',
  labelNames: ['kind'] as const,
  registers: [databaseRegistry],
});

const outboxDead = new Gauge({
  name: 'vedetta_outbox_dead',
  help: 'Outbox rows that gave up after their last attempt (state dead), by kind.',
  labelNames: ['kind'] as const,
  registers: [databaseRegistry],
});

const databaseUp = new Gauge({
  name: 'vedetta_database_up',
  help: '1 when the last scrape could read the database, 0 when it could not.',
  registers: [databaseRegistry],
});

const emailsSent = new Counter({
  name: 'vedetta_emails_sent_total',
  help: 'E-mails accepted by the provider, by kind (alert, confirm, owner_notice). The send rate is rate() of this.',
  labelNames: ['kind'] as const,
  registers: [registry],
});

const emailsFailed = new Counter({
  name: 'vedetta_emails_failed_total',
  help: 'E-mails the provider refused or that could not be sent, by kind and reason (rate_limited, rejected, network, ...).',
  labelNames: ['kind', 'reason'] as const,
  registers: [registry],
});

const webhookDeliveries = new Counter({
  name: 'vedetta_webhook_deliveries_total',
  help: 'Outgoing partner webhook attempts, by outcome (delivered, failed, dead).',
  labelNames: ['outcome'] as const,
  registers: [registry],
});

const webhookFailures = new Counter({
  name: 'vedetta_webhook_failures_total',
  help: 'Outgoing partner webhook attempts that failed, by reason (timeout, network, http_4xx, http_5xx, dead).',
  labelNames: ['reason'] as const,
  registers: [registry],
});

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/** Called once per answered request (the observability middleware, or a fast path that bypasses it). */
export function observeHttpRequest(input: { method: string; route: string; status: number; seconds: number }) {
  // Unknown verbs collapse into one label value so a scanner cannot grow the series without bound.
  const method = METHODS.has(input.method) ? input.method : 'OTHER';
  const labels = { method, route: input.route, status: String(input.status) };
  httpRequests.inc(labels);
  httpDuration.observe(labels, input.seconds);
}

export type CacheResult = 'hit' | 'stale' | 'miss';

/** The public cache reports each lookup here. */
export function countCacheLookup(result: CacheResult) {
  cacheLookups.inc({ result });
}

export type EmailKind = 'alert' | 'confirm' | 'owner_notice';

/** The mail sender reports how many e-mails a provider call carried and how it ended. */
export function countEmailsSent(kind: EmailKind, count = 1) {
  if (count > 0) emailsSent.inc({ kind }, count);
}

export function countEmailsFailed(kind: EmailKind, reason: string, count = 1) {
  if (count > 0) emailsFailed.inc({ kind, reason }, count);
}

/**
 * One provider request's result, as the batch sender sees it: accepted e-mails count as sent, refused ones (and
 * every e-mail of a request that failed as a whole) as failed with the reason. Rate-limited and transient
 * failures are retried later, so they measure trouble, not lost mail.
 */
export function countEmailOutcome(kind: EmailKind, count: number, outcome: { kind: string; errors?: unknown[] }) {
  if (outcome.kind === 'sent') {
    const refused = outcome.errors?.length ?? 0;
    countEmailsSent(kind, count - refused);
    countEmailsFailed(kind, 'rejected', refused);
  } else {
    countEmailsFailed(kind, outcome.kind, count);
  }
}

/** `http_4xx` / `http_5xx` for an answer, `network` when none came (timeout, refused, TLS). */
export function webhookFailureReason(status: number | null): string {
  return status === null ? 'network' : `http_${Math.floor(status / 100)}xx`;
}

export type WebhookOutcome = { outcome: 'delivered' } | { outcome: 'failed' | 'dead'; reason: string };

/** The webhook sender reports each attempt; failures also count by reason. */
export function countWebhookDelivery(result: WebhookOutcome) {
  webhookDeliveries.inc({ outcome: result.outcome });
  if (result.outcome !== 'delivered') webhookFailures.inc({ reason: result.reason });
}

export type OutboxDepthRow = { kind: string; pending: number; dead: number; oldestPendingSeconds: number };

/**
 * The exposition text. The outbox figures are read at scrape time through `readOutbox` (a service call), so
 * every instance reports the shared queue as it is, not as this process last saw it; when the database cannot
 * be read the other metrics are still answered and `vedetta_database_up` says why the outbox ones are stale.
 */
export async function renderMetrics(readOutbox?: () => Promise<OutboxDepthRow[]>): Promise<{ contentType: string; body: string }> {
  if (readOutbox) {
    try {
      const rows = await readOutbox();
      outboxDepth.reset();
      outboxOldest.reset();
      outboxDead.reset();
      for (const row of rows) {
        outboxDepth.set({ kind: row.kind }, row.pending);
        outboxOldest.set({ kind: row.kind }, row.oldestPendingSeconds);
        outboxDead.set({ kind: row.kind }, row.dead);
      }
      databaseUp.set(1);
    } catch {
      databaseUp.set(0);
    }
  }
  // Both texts end with a newline; one more keeps the blank line the format puts between metrics.
  return { contentType: registry.contentType, body: `${await readProcessMetrics()}\n${await databaseRegistry.metrics()}` };
}

let readProcessMetrics = () => registry.metrics();

/** A cluster worker reads the sum over every worker (asked of the primary) instead of its own registry. */
export function readProcessMetricsWith(read: () => Promise<string>) {
  readProcessMetrics = read;
}
