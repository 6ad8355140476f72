import { readdir } from 'node:fs/promises';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import PostalMime from 'postal-mime';
import { asc, eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { emailBatches, emailFanouts, emailMessages, outbox, rateLimits } from '../../db/schema/index.ts';
import { enqueueEmail } from '../../src/delivery/enqueue.ts';
import { PROVIDER_LIMIT_KEY } from '../../src/delivery/rate-limit.ts';
import { scheduleReminders } from '../../src/delivery/reminders.ts';
import { deliveryStats, listMail } from '../../src/delivery/stats.ts';
import { emlTransport } from '../../src/delivery/transport.ts';
import { WorkerCrash } from '../../src/delivery/worker.ts';
import { inTransaction } from '../../src/services/context.ts';
import { createIncident, postIncidentUpdate } from '../../src/services/incidents.ts';
import { runScheduledTransitions, scheduleMaintenance, updateMaintenance } from '../../src/services/maintenance.ts';
import { makeService } from '../integration/factories.ts';
import { type ResendStandin, startResendStandin } from '../support/resend-standin.ts';
import { addSubscribers, emailWorker, resetDelivery, uid, useDeliveryDatabase } from './support.ts';

const env = useDeliveryDatabase();
let standin: ResendStandin;

beforeEach(async () => {
  await resetDelivery(env.db);
  env.clock.set(new Date());
  standin = await startResendStandin();
});
afterEach(async () => {
  await standin.close();
});

async function publishIncident(serviceKeys: string[], opts: { notify?: boolean } = {}) {
  const { incident } = await createIncident(env.ctx(), {
    title: { it: `Disservizio ${uid()}`, en: `Outage ${uid()}` },
    impact: 'major',
    body: { it: 'Stiamo verificando.', en: 'We are investigating.' },
    services: serviceKeys.map((service) => ({ service, status: 'major_outage' as const })),
    notify: opts.notify ?? true,
  });
  return incident;
}

/** Moves the service clock past every lease and backoff, as a restarted worker would find the rows later. */
const afterLeases = () => env.clock.advance(2 * 3_600_000);

function countsByAddress(s: ResendStandin) {
  return new Map([...s.perAddress]);
}

describe('dispatch and fan-out', () => {
  it('mails each confirmed subscriber of an affected service exactly once, in their language, and nobody else', async () => {
    const a = await makeService(env.ctx());
    const b = await makeService(env.ctx());
    const subs = await addSubscribers(env.db, [
      { allServices: true, locale: 'it' },
      { allServices: true, locale: 'en' },
      { allServices: false, serviceKeys: [a.key] },
      { allServices: false, serviceKeys: [b.key] },
      { allServices: false, serviceKeys: [a.key, b.key], locale: 'en' },
      { allServices: true, state: 'pending' },
      { allServices: true, state: 'unsubscribed' },
      { allServices: true, state: 'suppressed' },
    ]);
    const incident = await publishIncident([a.key]);
    await emailWorker(env, { standinUrl: standin.url }).drain();

    const expected = [subs[0]!, subs[1]!, subs[2]!, subs[4]!].map((s) => s.email).sort();
    expect([...standin.perAddress.keys()].sort()).toEqual(expected);
    expect([...standin.perAddress.values()].every((n) => n === 1)).toBe(true);
    const english = standin.emails.find((e) => e.to === subs[1]!.email)!;
    const italian = standin.emails.find((e) => e.to === subs[0]!.email)!;
    expect(english.subject).toContain(incident.title.en);
    expect(italian.subject).toContain(incident.title.it);
    expect(english.text).toBeTruthy();
    expect(english.html).toContain('<html');
    expect(english.headers['List-Unsubscribe']).toMatch(/^<https:\/\/status\.example\.test\/u\/[^>]+>, <mailto:[^>]+>$/);
    expect(english.headers['List-Unsubscribe-Post']).toBe('List-Unsubscribe=One-Click');
    expect(english.from).toBe('Vedetta <status@example.test>');
    // Every request carried an idempotency key made of the batch id and a payload fingerprint.
    expect(standin.requests.every((r) => /^[a-z0-9]+\.[0-9a-f]{64}$/.test(r.idempotencyKey ?? ''))).toBe(true);

    const messages = await env.db.select().from(emailMessages);
    expect(messages.every((m) => m.state === 'sent' && m.providerId)).toBe(true);
    const stats = await deliveryStats(env.ctx(), { eventId: (await env.db.select().from(emailFanouts))[0]!.eventId! });
    expect(stats).toMatchObject({ recipients: 4, sent: 4, queued: 0, failed: 0 });
    const pending = await env.db.select().from(outbox).where(eq(outbox.state, 'pending'));
    expect(pending).toEqual([]);
  });

  it('does not e-mail when notify is off, nor for automatic service status changes', async () => {
    const a = await makeService(env.ctx());
    await addSubscribers(env.db, [{ allServices: true }]);
    await publishIncident([a.key], { notify: false });
    await emailWorker(env, { standinUrl: standin.url }).drain();
    expect(standin.emails).toEqual([]);
    expect(await env.db.select().from(emailFanouts)).toEqual([]);
    // Every event (service.status_changed included) was dispatched and is done.
    const rows = await env.db.select().from(outbox);
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every((r) => r.state === 'done')).toBe(true);
  });

  it('splits a fan-out into batches of at most 100, one request each', async () => {
    const a = await makeService(env.ctx());
    await addSubscribers(env.db, Array.from({ length: 250 }, () => ({ allServices: true })));
    await publishIncident([a.key]);
    await emailWorker(env, { standinUrl: standin.url, chunkSize: 120 }).drain();
    expect(standin.emails).toHaveLength(250);
    expect(standin.perAddress.size).toBe(250);
    const batches = await env.db.select().from(emailBatches).orderBy(asc(emailBatches.seq));
    expect(batches.map((b) => b.seq)).toEqual([0, 1, 2]);
    expect(standin.requests.filter((r) => r.path === '/emails/batch')).toHaveLength(3);
    const [fanout] = await env.db.select().from(emailFanouts);
    expect(fanout).toMatchObject({ state: 'queued', recipients: 250 });
  });
});

describe('exactly once under crashes', () => {
  async function setup(n: number) {
    const a = await makeService(env.ctx());
    const subs = await addSubscribers(env.db, Array.from({ length: n }, () => ({ allServices: true })));
    await publishIncident([a.key]);
    return subs;
  }

  const expectExactlyOnce = async (subs: { email: string }[]) => {
    expect(standin.perAddress.size).toBe(subs.length);
    for (const s of subs) expect(standin.perAddress.get(s.email), s.email).toBe(1);
    const messages = await env.db.select().from(emailMessages);
    expect(messages).toHaveLength(subs.length);
    expect(messages.every((m) => m.state === 'sent')).toBe(true);
  };

  for (const point of ['before-send', 'after-send'] as const) {
    it(`a worker killed ${point === 'before-send' ? 'between claim and send' : 'after the provider accepted, before recording'} leaves nobody with zero or two e-mails`, async () => {
      const subs = await setup(200);
      let crashes = 0;
      const first = emailWorker(env, {
        standinUrl: standin.url,
        concurrency: 1,
        checkpoint: (p) => {
          if (p === point && crashes++ === 0) throw new WorkerCrash(p);
        },
      });
      await expect(first.drain()).rejects.toBeInstanceOf(WorkerCrash);
      const mid = countsByAddress(standin);
      expect(mid.size).toBe(point === 'after-send' ? 100 : 0);
      // The crashed worker's claim is still there: a new worker must wait for the lease.
      const second = emailWorker(env, { standinUrl: standin.url });
      await second.drain();
      expect(await env.db.select().from(emailMessages).where(eq(emailMessages.state, 'queued'))).toHaveLength(100);
      afterLeases();
      await second.drain();
      await expectExactlyOnce(subs);
      if (point === 'after-send') {
        // The repeat went out under the same key and was answered from the provider's idempotency record.
        const keys = standin.requests.map((r) => r.idempotencyKey);
        expect(keys.length - new Set(keys).size).toBe(1);
      }
    });
  }

  it('a connection cut after the provider accepted (during the send) is repeated under the same key, harmlessly', async () => {
    const subs = await setup(60);
    standin.fail({ kind: 'drop' });
    const worker = emailWorker(env, { standinUrl: standin.url });
    await worker.drain();
    expect(standin.perAddress.size).toBe(60);
    const [batch] = await env.db.select().from(emailBatches);
    expect(batch).toMatchObject({ state: 'pending', attempts: 1 });
    afterLeases();
    await worker.drain();
    await expectExactlyOnce(subs);
    expect(standin.requests.map((r) => r.status)).toEqual(['drop', 200]);
    expect(standin.requests[0]!.idempotencyKey).toBe(standin.requests[1]!.idempotencyKey);
  });

  it('a fan-out killed between chunks resumes from its cursor without adding anyone twice', async () => {
    const subs = await setup(230);
    let crashes = 0;
    const first = emailWorker(env, {
      standinUrl: standin.url,
      chunkSize: 100,
      concurrency: 1,
      checkpoint: (p) => {
        if (p === 'fanout-chunk' && crashes++ === 1) throw new WorkerCrash(p);
      },
    });
    await expect(first.drain()).rejects.toBeInstanceOf(WorkerCrash);
    const [fanout] = await env.db.select().from(emailFanouts);
    expect(fanout!.state).toBe('expanding');
    expect(fanout!.recipients).toBe(200);
    afterLeases();
    await emailWorker(env, { standinUrl: standin.url, chunkSize: 100 }).drain();
    await expectExactlyOnce(subs);
    const batches = await env.db.select().from(emailBatches);
    expect(batches.map((b) => b.seq).sort()).toEqual([0, 1, 2]);
  });

  it('two workers draining at once never send a batch twice', async () => {
    const subs = await setup(500);
    const w1 = emailWorker(env, { standinUrl: standin.url, chunkSize: 100 });
    const w2 = emailWorker(env, { standinUrl: standin.url, chunkSize: 100 });
    await Promise.all([w1.drain(), w2.drain(), w1.drain()]);
    await w2.drain();
    await expectExactlyOnce(subs);
    expect(standin.requests).toHaveLength(5);
  });
});

describe('provider answers', () => {
  async function oneBatch(n = 3) {
    const a = await makeService(env.ctx());
    const subs = await addSubscribers(env.db, Array.from({ length: n }, () => ({ allServices: true })));
    await publishIncident([a.key]);
    return subs;
  }

  it('honours 429 retry-after for every worker and then sends once', async () => {
    await oneBatch();
    standin.fail({ kind: 'status', status: 429, retryAfter: 7 });
    const worker = emailWorker(env, { standinUrl: standin.url });
    const before = Date.now();
    await worker.drain();
    const [job] = await env.db.select().from(outbox).where(eq(outbox.kind, 'email.batch'));
    expect(job!.state).toBe('pending');
    expect(job!.attempts).toBe(0); // waiting for the provider is not a failure
    expect(job!.runAt.getTime()).toBeGreaterThanOrEqual(env.clock.now().getTime() + 7000);
    const [limit] = await env.db.select().from(rateLimits).where(eq(rateLimits.key, PROVIDER_LIMIT_KEY));
    expect(limit!.nextAt!.getTime()).toBeGreaterThanOrEqual(before + 7000);
    // Nobody may send before the provider's time: rewind the shared slot (instead of sleeping) and go on.
    await env.db.update(rateLimits).set({ nextAt: new Date() });
    env.clock.advance(8000);
    await worker.drain();
    expect(standin.emails).toHaveLength(3);
  });

  for (const [name, fault] of [
    ['a 500', { kind: 'status', status: 500 }],
    ['a 409 concurrent request', { kind: 'concurrent' }],
    ['a timeout', { kind: 'hang' }],
  ] as const) {
    it(`retries ${name} with backoff and the same idempotency key`, async () => {
      const subs = await oneBatch();
      standin.fail(fault);
      const worker = emailWorker(env, { standinUrl: standin.url });
      await worker.drain();
      const [job] = await env.db.select().from(outbox).where(eq(outbox.kind, 'email.batch'));
      expect(job).toMatchObject({ state: 'pending', attempts: 1 });
      expect(job!.runAt.getTime()).toBeGreaterThan(env.clock.now().getTime());
      expect(job!.lastError).toBeTruthy();
      expect(standin.emails).toHaveLength(0);
      env.clock.advance(60_000);
      await worker.drain();
      expect(standin.emails.map((e) => e.to).sort()).toEqual(subs.map((s) => s.email).sort());
      const keys = standin.requests.map((r) => r.idempotencyKey);
      expect(keys).toHaveLength(2);
      expect(keys[0]).toBe(keys[1]);
    });
  }

  it('gives up after the last attempt and records every message as failed', async () => {
    await oneBatch();
    standin.fail({ kind: 'status', status: 503 }, { kind: 'status', status: 503 });
    const worker = emailWorker(env, { standinUrl: standin.url, maxAttempts: 2 });
    await worker.drain();
    env.clock.advance(60_000);
    await worker.drain();
    const [job] = await env.db.select().from(outbox).where(eq(outbox.kind, 'email.batch'));
    expect(job!.state).toBe('dead');
    const messages = await env.db.select().from(emailMessages);
    expect(messages.every((m) => m.state === 'failed' && m.error?.includes('gave up after 2 attempts'))).toBe(true);
  });

  it('records a rejected recipient as failed and sends the rest, without retrying', async () => {
    const a = await makeService(env.ctx());
    await addSubscribers(env.db, [{ email: 'good@example.test' }, { email: 'broken-address' }, { email: 'also-good@example.test' }]);
    await publishIncident([a.key]);
    await emailWorker(env, { standinUrl: standin.url }).drain();
    const messages = await env.db.select().from(emailMessages).orderBy(asc(emailMessages.email));
    expect(messages.map((m) => [m.email, m.state, Boolean(m.providerId)])).toEqual([
      ['also-good@example.test', 'sent', true],
      ['broken-address', 'failed', false],
      ['good@example.test', 'sent', true],
    ]);
    expect(messages.find((m) => m.state === 'failed')!.error).toMatch(/to/);
    expect(standin.requests).toHaveLength(1);
  });

  it('records a refused request (bad API key) as failed for every recipient and does not retry it', async () => {
    await oneBatch();
    const { resendTransport } = await import('../../src/delivery/transport.ts');
    const transport = resendTransport({ apiKey: 'not-a-key', baseUrl: standin.url });
    await emailWorker(env, { transport }).drain();
    env.clock.advance(3_600_000);
    await emailWorker(env, { transport }).drain();
    expect(standin.requests).toHaveLength(1);
    const messages = await env.db.select().from(emailMessages);
    expect(messages.every((m) => m.state === 'failed' && m.error?.includes('401'))).toBe(true);
    const [batch] = await env.db.select().from(emailBatches);
    expect(batch!.state).toBe('failed');
  });
});

describe('embedded transport, one-off e-mails, reminders', () => {
  it('writes .eml files through the same state machine and lists them', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vedetta-mail-'));
    try {
      const a = await makeService(env.ctx());
      const [it_, en] = await addSubscribers(env.db, [{ locale: 'it' }, { locale: 'en' }]);
      await publishIncident([a.key]);
      const { messageId } = await inTransaction(env.ctx(), (tx) =>
        enqueueEmail(tx, { kind: 'confirm', to: 'new@example.test', locale: 'en', content: { subject: 'Conferma è richiesta', html: '<p>Hi</p>', text: 'Hi' } }),
      );
      await emailWorker(env, { transport: emlTransport({ dir }) }).drain();
      const files = (await readdir(dir)).sort();
      expect(files).toHaveLength(3);
      expect(files.every((f) => f.endsWith('.eml'))).toBe(true);
      const list = await listMail(env.ctx(), { mailDir: dir });
      expect(list.map((m) => m.to).sort()).toEqual([en!.email, it_!.email, 'new@example.test'].sort());
      const confirm = list.find((m) => m.id === messageId)!;
      expect(confirm.subject).toBe('Conferma è richiesta');
      const raw = list.find((m) => m.to === en!.email)!.raw!;
      expect(raw).toMatch(/^Content-Type: multipart\/alternative; boundary=/m);
      const alert = await PostalMime.parse(raw);
      const header = (key: string) => alert.headers.find((h) => h.key === key)?.value;
      expect(alert.to?.[0]).toMatchObject({ address: en!.email });
      expect(alert.from).toMatchObject({ address: 'status@example.test' });
      expect(alert.text).toBeTruthy();
      expect(alert.html).toContain('<html');
      expect(header('list-unsubscribe')).toMatch(/^<https:\/\/status\.example\.test\/u\/.+>, <mailto:.+>$/);
      expect(header('list-unsubscribe-post')).toBe('List-Unsubscribe=One-Click');
      const confirmParsed = await PostalMime.parse(confirm.raw!);
      expect(confirmParsed.subject).toBe('Conferma è richiesta');
      expect(confirmParsed.text?.trim()).toBe('Hi');
      const messages = await env.db.select().from(emailMessages);
      expect(messages.every((m) => m.state === 'sent' && m.providerId === `eml:${m.id}`)).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('reminds the subscribers of a maintenance window\'s services before it starts, once', async () => {
    const a = await makeService(env.ctx());
    const b = await makeService(env.ctx());
    const [followsA, followsB, all] = await addSubscribers(env.db, [
      { allServices: false, serviceKeys: [a.key] },
      { allServices: false, serviceKeys: [b.key] },
      { allServices: true },
    ]);
    const start = new Date(env.clock.now().getTime() + 3 * 3_600_000);
    const window = await scheduleMaintenance(env.ctx(), {
      title: { it: 'Manutenzione database', en: 'Database maintenance' },
      services: [a.key],
      scheduledStart: start,
      scheduledEnd: new Date(start.getTime() + 3_600_000),
    });
    const worker = emailWorker(env, { standinUrl: standin.url });
    await worker.drain();
    // The announcement went to the window's services' subscribers only (maintenance follows the service filter).
    expect([...standin.perAddress.keys()].sort()).toEqual([followsA!.email, all!.email].sort());
    expect(await scheduleReminders(env.ctx(), { minutes: 60 })).toEqual([]); // too early
    env.clock.advance(2 * 3_600_000 + 5 * 60_000);
    expect(await scheduleReminders(env.ctx(), { minutes: 60 })).toEqual([window.id]);
    expect(await scheduleReminders(env.ctx(), { minutes: 60 })).toEqual([]); // once
    await worker.drain();
    expect(standin.perAddress.get(followsA!.email)).toBe(2);
    expect(standin.perAddress.get(all!.email)).toBe(2);
    expect(standin.perAddress.has(followsB!.email)).toBe(false);
    const [reminder] = await env.db.select().from(emailFanouts).where(eq(emailFanouts.key, `reminder:${window.id}`));
    expect(reminder).toMatchObject({ recipients: 2, maintenanceId: window.id });
  });

  it('a window scheduled without e-mail stays silent at every step the scheduler takes; turned on later, its next step is e-mailed', async () => {
    const a = await makeService(env.ctx());
    const [follower] = await addSubscribers(env.db, [{ allServices: false, serviceKeys: [a.key] }]);
    const start = new Date(env.clock.now().getTime() + 3 * 3_600_000);
    const window = await scheduleMaintenance(env.ctx(), {
      title: { it: 'Riavvio notturno', en: 'Nightly restart' },
      services: [a.key],
      scheduledStart: start,
      scheduledEnd: new Date(start.getTime() + 3_600_000),
      notify: false,
    });
    const worker = emailWorker(env, { standinUrl: standin.url });
    await worker.drain();
    env.clock.advance(2 * 3_600_000 + 5 * 60_000);
    expect(await scheduleReminders(env.ctx(), { minutes: 60 })).not.toContain(window.id);
    env.clock.set(start);
    expect((await runScheduledTransitions(env.ctx())).started).toContain(window.id);
    await worker.drain();
    expect(standin.emails).toEqual([]);

    // Turned on while running: its completion, taken by the scheduler, is e-mailed.
    await updateMaintenance(env.ctx(), { maintenanceId: window.id, notify: true });
    env.clock.set(new Date(start.getTime() + 3_600_000));
    expect((await runScheduledTransitions(env.ctx())).completed).toContain(window.id);
    await worker.drain();
    expect(standin.emails.map((e) => [e.to, e.subject])).toEqual([[follower!.email, expect.stringContaining('Manutenzione completata: Riavvio notturno')]]);
  });

  it('a reminder goes out for a window whose e-mail was turned on after a silent announcement', async () => {
    const a = await makeService(env.ctx());
    await addSubscribers(env.db, [{ allServices: true }]);
    const start = new Date(env.clock.now().getTime() + 3 * 3_600_000);
    const window = await scheduleMaintenance(env.ctx(), {
      title: { it: 'Manutenzione rete', en: 'Network maintenance' },
      services: [a.key],
      scheduledStart: start,
      scheduledEnd: new Date(start.getTime() + 3_600_000),
      notify: false,
    });
    await updateMaintenance(env.ctx(), { maintenanceId: window.id, notify: true });
    env.clock.advance(2 * 3_600_000 + 5 * 60_000);
    // Subscribers never heard of it: the reminder is their first word.
    expect(await scheduleReminders(env.ctx(), { minutes: 60 })).toContain(window.id);
  });

  it('renders an update once: every batch of a fan-out shares one stored content', async () => {
    const a = await makeService(env.ctx());
    await addSubscribers(env.db, Array.from({ length: 120 }, () => ({ locale: 'en' as const })));
    const incident = await publishIncident([a.key]);
    await postIncidentUpdate(env.ctx(), { incidentId: incident.id, status: 'identified', body: { it: 'Trovato.', en: 'Found it.' } });
    await emailWorker(env, { standinUrl: standin.url }).drain();
    const fanouts = await env.db.select().from(emailFanouts);
    expect(fanouts).toHaveLength(2);
    expect(fanouts.every((f) => f.content !== null)).toBe(true);
    expect(standin.emails).toHaveLength(240);
    const subjects = new Set(standin.emails.map((e) => e.subject));
    expect(subjects.size).toBe(2);
  });
});
