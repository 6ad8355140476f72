/**
 * Partner webhooks end to end on a real database: events published through the real services, dispatched and
 * delivered by the engine's worker to a local receiver, and verified with the `standardwebhooks` package.
 */
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { Webhook } from 'standardwebhooks';
import { emailMessages, events, outbox, webhookDeliveries, webhookEndpoints } from '../../db/schema/index.ts';
import { type TestCtx, dbTest } from '../support/db.ts';
import { DAY, HOUR, OPERATOR, makeIncident, makeService, uid } from '../integration/factories.ts';
import { type Actor, inTransaction } from '../../src/services/context.ts';
import { emitEvent } from '../../src/services/events.ts';
import { postIncidentUpdate, publishPostmortem, resolveIncident, updateIncident } from '../../src/services/incidents.ts';
import { scheduleMaintenance, startMaintenance, completeMaintenance } from '../../src/services/maintenance.ts';
import { publishNotice } from '../../src/services/notices.ts';
import { addMilestone, changeMilestone } from '../../src/services/recovery.ts';
import {
  createWebhook,
  listWebhookDeliveries,
  redeliverWebhooks,
  sendTestWebhook,
  setWebhookEnabled,
  updateWebhook,
} from '../../src/services/webhooks.ts';
import { EVENT_TYPES } from '../../src/domain/vocab.ts';
import { configureWebhooks } from '../../src/webhooks/policy.ts';
import { RETRY_WINDOW_MS } from '../../src/webhooks/retry.ts';
import { type Receiver, drainWebhooks, startReceiver, verifyAt } from './support.ts';

type Payload = {
  type: string;
  timestamp: string;
  data: { event_id: string; url: string; texts: Record<'it' | 'en', { url: string }> };
};

const ADMIN: Actor = { kind: 'operator', id: 'admin-1', role: 'admin' };
const test = dbTest.override('ctxOptions', { actor: ADMIN, siteUrl: 'https://status.example.test' });

let receiver: Receiver;
beforeAll(async () => {
  configureWebhooks({ webhooksAllowPrivate: true });
  receiver = await startReceiver();
});
afterAll(async () => {
  configureWebhooks({ webhooksAllowPrivate: false });
  await receiver.close();
});

async function endpoint(ctx: TestCtx, events: string[], opts: { locale?: 'it' | 'en'; path?: string } = {}) {
  return createWebhook(ctx, { url: `${receiver.url}${opts.path ?? `/${uid()}`}`, events, ownerEmail: `owner-${uid()}@example.org`, locale: opts.locale });
}

const asEditor = (ctx: TestCtx) => ({ ...ctx, actor: OPERATOR });
const sentTo = (path: string) => receiver.requests.filter((r) => r.path === path);

/** Publishes one event of every type through the services (service.status_changed as the heartbeat job emits it). */
async function publishEveryEventType(ctx: TestCtx) {
  const editor = asEditor(ctx);
  const svc = await makeService(editor);
  const { incident } = await makeIncident(editor, { services: [{ service: svc.key, status: 'major_outage' }] });
  await postIncidentUpdate(editor, { incidentId: incident.id, status: 'identified', body: { it: 'Trovata la causa.', en: 'Cause found.' } });
  const milestone = await addMilestone(editor, { incidentId: incident.id, title: { it: 'Ripristino', en: 'Restore' } });
  await changeMilestone(editor, { milestoneId: milestone.id, state: 'in_progress' });
  await publishNotice(editor, {
    incidentId: incident.id,
    title: { it: 'Dati ripristinati', en: 'Data restored' },
    windows: [{ scope: { it: 'Tutte le aree' }, restoredUntil: new Date(ctx.now().getTime() - DAY) }],
  });
  await resolveIncident(editor, { incidentId: incident.id, body: { it: 'Risolto.', en: 'Resolved.' } });
  await publishPostmortem(editor, { incidentId: incident.id, body: { it: 'Analisi.', en: 'Analysis.' } });
  const m = await scheduleMaintenance(editor, {
    title: { it: 'Manutenzione', en: 'Maintenance' },
    services: [svc.key],
    scheduledStart: new Date(ctx.now().getTime() - HOUR),
    scheduledEnd: new Date(ctx.now().getTime() + HOUR),
  });
  await startMaintenance(editor, { maintenanceId: m.id });
  await completeMaintenance(editor, { maintenanceId: m.id });
  await inTransaction(ctx, (tx) =>
    emitEvent(tx, {
      type: 'service.status_changed',
      subjectId: svc.id,
      serviceKeys: [svc.key],
      title: svc.name,
      notify: false,
      occurredAt: tx.now(),
      data: { service: svc.key, from: 'operational', to: 'major_outage', source: 'heartbeat' },
    }),
  );
  return { incident, svc };
}

describe('delivery', () => {
  test('every event type reaches a catch-all endpoint once, signed per Standard Webhooks', async ({ ctx }) => {
    const path = `/all-${uid()}`;
    const { secret, endpoint: ep } = await endpoint(ctx, ['*'], { path, locale: 'en' });
    await publishEveryEventType(ctx);
    const published = await ctx.db.select().from(events);
    expect(new Set(published.map((e) => e.type))).toEqual(new Set(EVENT_TYPES));

    await drainWebhooks(ctx);
    // A second dispatch of every event (a crashed worker, a repeated job) adds nothing.
    await ctx.db.update(outbox).set({ state: 'pending', lockedUntil: null }).where(eq(outbox.kind, 'event.dispatch'));
    await drainWebhooks(ctx);

    const got = sentTo(`/hooks${path}`);
    expect(got).toHaveLength(published.length);
    const payloads = got.map((m) => new Webhook(secret).verify(m.body, m.headers as Record<string, string>) as Payload);
    expect(payloads.map((p) => p.data.event_id).sort()).toEqual(published.map((e) => e.id).sort());
    expect(new Set(payloads.map((p) => p.type))).toEqual(new Set(EVENT_TYPES));
    // webhook-id is the delivery id: unique per message, the value a receiver de-duplicates on.
    const ids = got.map((m) => m.headers['webhook-id']);
    expect(new Set(ids).size).toBe(got.length);
    const deliveries = await ctx.db.select().from(webhookDeliveries).where(eq(webhookDeliveries.endpointId, ep.id));
    expect(deliveries.map((d) => d.id).sort()).toEqual([...ids].sort());
    expect(deliveries.every((d) => d.state === 'delivered' && d.attempts === 1 && d.lastStatus === 204)).toBe(true);

    const resolved = payloads.find((p) => p.type === 'incident.resolved')!;
    expect(resolved).toMatchObject({ version: 1, data: { locale: 'en', body: 'Resolved.', texts: { it: { body: 'Risolto.' }, en: { body: 'Resolved.' } } } });
    expect(resolved.data.url).toMatch(/^https:\/\/status\.example\.test\/en\/incidents\/[a-z0-9]+#update-/);
    expect(resolved.data.texts.it.url).toMatch(/^https:\/\/status\.example\.test\/incidents\//);
    expect(Date.parse(resolved.timestamp)).not.toBeNaN();
  });

  test('a resolution lists the milestones it left open, and every event says whether subscribers are e-mailed, as the API does', async ({
    ctx,
  }) => {
    const path = `/open-${uid()}`;
    const { secret } = await endpoint(ctx, ['*'], { path });
    const editor = asEditor(ctx);
    const svc = await makeService(editor);
    const { incident } = await makeIncident(editor, { services: [{ service: svc.key, status: 'major_outage' }] });
    const expectedAt = new Date(ctx.now().getTime() + DAY);
    const open = await addMilestone(editor, { incidentId: incident.id, title: { it: 'Storico', en: 'History' }, service: svc.key, expectedAt });
    const done = await addMilestone(editor, { incidentId: incident.id, title: { it: 'Portale' }, notify: false });
    await changeMilestone(editor, { milestoneId: done.id, state: 'done', notify: false });
    const resolved = await resolveIncident(editor, { incidentId: incident.id, body: { it: 'Risolto.' } });
    expect(resolved.openMilestones.map((m) => m.id)).toEqual([open.id]);
    const quiet = await scheduleMaintenance(editor, {
      title: { it: 'Manutenzione' },
      services: [svc.key],
      scheduledStart: new Date(ctx.now().getTime() + DAY),
      scheduledEnd: new Date(ctx.now().getTime() + DAY + HOUR),
      notify: false,
    });
    await startMaintenance(editor, { maintenanceId: quiet.id });
    await drainWebhooks(ctx);

    const payloads = sentTo(`/hooks${path}`).map(
      (m) => new Webhook(secret).verify(m.body, m.headers as Record<string, string>) as Payload & { data: { notify: boolean; details: Record<string, unknown> } },
    );
    const of = (type: string) => payloads.filter((p) => p.type === type);
    expect(of('incident.resolved')).toHaveLength(1);
    expect(of('incident.resolved')[0]!.data.details.open_milestones).toEqual([
      { id: open.id, title: { it: 'Storico', en: 'History' }, state: 'planned', expected_at: expectedAt.toISOString(), service: svc.key },
    ]);
    // Only a resolution carries the list: an ordinary update has no plan to report on.
    expect(of('incident.created')[0]!.data.details).not.toHaveProperty('open_milestones');
    expect(of('incident.resolved')[0]!.data.notify).toBe(true);
    expect(of('milestone.updated').map((p) => p.data.notify).sort()).toEqual([false, false, true]);
    // The window's own choice, for every step (the API's `notify` on the maintenance).
    expect(of('maintenance.scheduled').map((p) => p.data.notify)).toEqual([false]);
    expect(of('maintenance.started').map((p) => p.data.notify)).toEqual([false]);
  });

  test('filters: exact types and family patterns receive only what they chose', async ({ ctx }) => {
    const maint = `/maint-${uid()}`;
    const resolvedOnly = `/res-${uid()}`;
    const nothingYet = `/svc-${uid()}`;
    await endpoint(ctx, ['maintenance.*'], { path: maint });
    await endpoint(ctx, ['incident.resolved', 'milestone.updated'], { path: resolvedOnly });
    const disabled = await endpoint(ctx, ['*'], { path: nothingYet });
    await setWebhookEnabled(ctx, { id: disabled.endpoint.id, enabled: false });
    await publishEveryEventType(ctx);
    await drainWebhooks(ctx);
    const types = (p: string) => sentTo(`/hooks${p}`).map((m) => (JSON.parse(m.body) as { type: string }).type).sort();
    const published = (await ctx.db.select().from(events)).map((e) => e.type as string);
    const expected = (keep: (t: string) => boolean) => published.filter(keep).sort();
    expect(types(maint)).toEqual(expected((t) => t.startsWith('maintenance.')));
    expect(new Set(types(maint))).toEqual(new Set(['maintenance.completed', 'maintenance.scheduled', 'maintenance.started']));
    expect(types(resolvedOnly)).toEqual(expected((t) => t === 'incident.resolved' || t === 'milestone.updated'));
    expect(new Set(types(resolvedOnly))).toEqual(new Set(['incident.resolved', 'milestone.updated']));
    expect(types(nothingYet)).toEqual([]);
  });

  test('unpublished edits are never sent, and payloads carry only what was published', async ({ ctx }) => {
    const path = `/pub-${uid()}`;
    await endpoint(ctx, ['*'], { path });
    const { incident } = await makeIncident(asEditor(ctx), { title: { it: 'Titolo pubblicato', en: 'Published title' } });
    await drainWebhooks(ctx);
    expect(sentTo(`/hooks${path}`)).toHaveLength(1);
    // An edit without an update is not an event: nothing goes out, and the draft title appears nowhere.
    await updateIncident(asEditor(ctx), { incidentId: incident.id, title: { it: 'Bozza interna', en: 'Internal draft' }, expectedVersion: incident.version });
    await drainWebhooks(ctx);
    const got = sentTo(`/hooks${path}`);
    expect(got).toHaveLength(1);
    expect(got[0]!.body).toContain('Titolo pubblicato');
    expect(got.some((m) => m.body.includes('Bozza interna') || m.body.includes('Internal draft'))).toBe(false);
  });

  test('a test message is signed like any other and logged', async ({ ctx }) => {
    const path = `/test-${uid()}`;
    const { endpoint: ep, secret } = await endpoint(ctx, ['incident.created'], { path });
    const delivery = await sendTestWebhook(ctx, { id: ep.id });
    await drainWebhooks(ctx);
    const [message] = sentTo(`/hooks${path}`);
    expect(new Webhook(secret).verify(message!.body, message!.headers as Record<string, string>)).toMatchObject({ type: 'webhook.test', version: 1 });
    expect(message!.headers['webhook-id']).toBe(delivery.id);
    const log = await listWebhookDeliveries(ctx, { id: ep.id });
    expect(log.items[0]).toMatchObject({ id: delivery.id, state: 'delivered', attempts: 1 });
    expect(log.items[0]!.log).toHaveLength(1);
  });
});

describe('retries and disabling', () => {
  test('a failing receiver is retried with growing, jittered waits until it answers', async ({ ctx }) => {
    const path = `/flaky-${uid()}`;
    const { endpoint: ep, secret } = await endpoint(ctx, ['incident.created'], { path });
    await makeIncident(asEditor(ctx));
    receiver.respond(503, 'down for maintenance '.repeat(100));
    await drainWebhooks(ctx);
    const [delivery] = await ctx.db.select().from(webhookDeliveries).where(eq(webhookDeliveries.endpointId, ep.id));
    const job = async () => (await ctx.db.select().from(outbox).where(and(eq(outbox.kind, 'webhook.delivery'), eq(outbox.subjectId, delivery!.id))))[0]!;

    const waits: number[] = [];
    for (let i = 0; i < 4; i++) {
      const before = ctx.now().getTime();
      const row = await job();
      expect(row.state).toBe('pending');
      waits.push(row.runAt.getTime() - before);
      // Not due yet: running the worker now sends nothing.
      const count = sentTo(`/hooks${path}`).length;
      await drainWebhooks(ctx);
      expect(sentTo(`/hooks${path}`)).toHaveLength(count);
      ctx.clock.set(row.runAt);
      await drainWebhooks(ctx);
      expect(sentTo(`/hooks${path}`)).toHaveLength(count + 1);
    }
    // 30 s, 60 s, 120 s, 240 s, each stretched by at most 20 % jitter.
    waits.forEach((w, i) => {
      expect(w).toBeGreaterThanOrEqual(30_000 * 2 ** i);
      expect(w).toBeLessThanOrEqual(30_000 * 2 ** i * 1.2);
    });

    receiver.respond(200, 'ok');
    ctx.clock.set((await job()).runAt);
    await drainWebhooks(ctx);
    receiver.respond(204);
    const messages = sentTo(`/hooks${path}`);
    expect(messages).toHaveLength(6);
    // Every retry is the same message: same id, same body; each verifies at the time it was sent.
    expect(new Set(messages.map((m) => m.headers['webhook-id'])).size).toBe(1);
    expect(new Set(messages.map((m) => m.body)).size).toBe(1);
    const last = messages.at(-1)!;
    expect(verifyAt(secret, last, new Date(Number(last.headers['webhook-timestamp']) * 1000))).toMatchObject({ type: 'incident.created' });

    const [done] = await ctx.db.select().from(webhookDeliveries).where(eq(webhookDeliveries.id, delivery!.id));
    expect(done).toMatchObject({ state: 'delivered', attempts: 6, lastStatus: 200 });
    expect(done!.log.map((l) => l.status)).toEqual([503, 503, 503, 503, 503, 200]);
    // Only a short excerpt of what the receiver said is kept.
    expect((done!.log[0] as { excerpt?: string }).excerpt!.length).toBeLessThanOrEqual(512);
    expect((await job()).state).toBe('done');
    const [after] = await ctx.db.select().from(webhookEndpoints).where(eq(webhookEndpoints.id, ep.id));
    expect(after).toMatchObject({ state: 'active', consecutiveFailures: 0, failingSince: null });
  });

  test('after 24 h of failures the delivery fails, the endpoint is disabled and its owner e-mailed', async ({ ctx }) => {
    const path = `/dead-${uid()}`;
    const { endpoint: ep } = await endpoint(ctx, ['incident.*'], { path, locale: 'en' });
    const start = ctx.now().getTime();
    await makeIncident(asEditor(ctx));
    receiver.respond(500);
    try {
      await drainWebhooks(ctx);
      for (let i = 0; i < 40; i++) {
        const [row] = await ctx.db.select().from(outbox).where(and(eq(outbox.kind, 'webhook.delivery'), eq(outbox.state, 'pending')));
        if (!row) break;
        ctx.clock.set(row.runAt);
        await drainWebhooks(ctx);
      }
    } finally {
      receiver.respond(204);
    }
    const [delivery] = await ctx.db.select().from(webhookDeliveries).where(eq(webhookDeliveries.endpointId, ep.id));
    expect(delivery!.state).toBe('failed');
    // Retried for a day, with the last try at the 24 h mark: about fifteen attempts, not hundreds.
    expect(delivery!.attempts).toBeGreaterThanOrEqual(12);
    expect(delivery!.attempts).toBeLessThanOrEqual(16);
    expect(sentTo(`/hooks${path}`)).toHaveLength(delivery!.attempts);
    expect(ctx.now().getTime() - start).toBe(RETRY_WINDOW_MS);
    const [job] = await ctx.db.select().from(outbox).where(eq(outbox.subjectId, delivery!.id));
    expect(job!.state).toBe('dead');

    const [after] = await ctx.db.select().from(webhookEndpoints).where(eq(webhookEndpoints.id, ep.id));
    expect(after).toMatchObject({ state: 'disabled', disabledReason: 'failing', consecutiveFailures: delivery!.attempts });
    const mails = await ctx.db.select().from(emailMessages).where(eq(emailMessages.email, ep.ownerEmail));
    expect(mails).toHaveLength(1);
    const content = mails[0]!.content as { subject: string; text: string };
    expect(mails[0]).toMatchObject({ kind: 'owner_notice', locale: 'en' });
    expect(content.subject).toMatch(/^Webhook disabled.*\/ Webhook disattivato/);
    expect(content.text).toContain(ep.url);

    // Nothing more is sent to a disabled endpoint; an operator enabling it starts afresh.
    await makeIncident(asEditor(ctx));
    const count = sentTo(`/hooks${path}`).length;
    await drainWebhooks(ctx);
    expect(sentTo(`/hooks${path}`)).toHaveLength(count);
    await expect(redeliverWebhooks(ctx, { id: ep.id })).rejects.toMatchObject({ code: 'conflict', fields: { id: 'endpoint is disabled' } });
    const enabled = await setWebhookEnabled(ctx, { id: ep.id, enabled: true });
    expect(enabled).toMatchObject({ state: 'active', consecutiveFailures: 0, failingSince: null });

    // The receiver is fixed: what it missed (the failed delivery and the one settled while disabled) goes again,
    // each under its first webhook-id.
    const missed = await ctx.db.select().from(webhookDeliveries).where(eq(webhookDeliveries.endpointId, ep.id));
    expect(missed.map((d) => d.state)).toEqual(['failed', 'failed']);
    const queued = await redeliverWebhooks(ctx, { id: ep.id });
    expect(queued.map((d) => d.id).sort()).toEqual(missed.map((d) => d.id).sort());
    await drainWebhooks(ctx);
    const resent = sentTo(`/hooks${path}`).slice(count);
    expect(resent.map((r) => r.headers['webhook-id']).sort()).toEqual(missed.map((d) => d.id).sort());
    const after2 = await ctx.db.select().from(webhookDeliveries).where(eq(webhookDeliveries.endpointId, ep.id));
    expect(after2.map((d) => d.state)).toEqual(['delivered', 'delivered']);
    // Nothing failed is left: asking again queues nothing, and naming a delivered one is refused.
    expect(await redeliverWebhooks(ctx, { id: ep.id })).toEqual([]);
    await expect(redeliverWebhooks(ctx, { id: ep.id, deliveryId: missed[0]!.id })).rejects.toMatchObject({
      code: 'conflict',
      fields: { deliveryId: 'not a failed delivery of this endpoint' },
    });
  });

  test('a changed endpoint keeps its secret and log; the next events go to the new URL, filtered anew', async ({ ctx }) => {
    const [oldPath, newPath] = [`/old-${uid()}`, `/new-${uid()}`];
    const { endpoint: ep, secret } = await endpoint(ctx, ['incident.created'], { path: oldPath });
    await makeIncident(asEditor(ctx));
    await drainWebhooks(ctx);
    expect(sentTo(`/hooks${oldPath}`)).toHaveLength(1);

    await expect(updateWebhook(ctx, { id: ep.id, url: 'ftp://partner.example/x' })).rejects.toMatchObject({ code: 'validation_failed', fields: { url: expect.any(String) } });
    await expect(updateWebhook(ctx, { id: ep.id, events: ['nope.*'] })).rejects.toMatchObject({ fields: { 'events.0': expect.any(String) } });
    const changed = await updateWebhook(ctx, { id: ep.id, url: `${receiver.url}${newPath}`, events: ['maintenance.*'], description: 'ERP' });
    expect(changed).toMatchObject({ url: `${receiver.url}${newPath}`, events: ['maintenance.*'], description: 'ERP', ownerEmail: ep.ownerEmail, state: 'active' });

    await makeIncident(asEditor(ctx));
    const svc = await makeService(asEditor(ctx));
    await scheduleMaintenance(asEditor(ctx), {
      title: { it: 'Manutenzione' },
      services: [svc.key],
      scheduledStart: new Date(ctx.now().getTime() + DAY),
      scheduledEnd: new Date(ctx.now().getTime() + DAY + HOUR),
    });
    await drainWebhooks(ctx);
    expect(sentTo(`/hooks${oldPath}`)).toHaveLength(1);
    const atNew = sentTo(`/hooks${newPath}`);
    expect(atNew.map((r) => (JSON.parse(r.body) as Payload).type)).toEqual(['maintenance.scheduled']);
    expect(verifyAt(secret, atNew[0]!, ctx.now())).toBeTruthy();
    expect((await listWebhookDeliveries(ctx, { id: ep.id })).items).toHaveLength(2);
  });

  test('a redirect is a failure and is not followed', async ({ ctx }) => {
    const path = `/redirect-${uid()}`;
    const { endpoint: ep } = await endpoint(ctx, ['incident.created'], { path });
    await makeIncident(asEditor(ctx));
    receiver.respond(302);
    try {
      await drainWebhooks(ctx);
    } finally {
      receiver.respond(204);
    }
    const [delivery] = await ctx.db.select().from(webhookDeliveries).where(eq(webhookDeliveries.endpointId, ep.id));
    expect(delivery).toMatchObject({ state: 'pending', lastStatus: 302, attempts: 1 });
    expect(delivery!.log[0]!.error).toBe('HTTP 302');
    expect(sentTo(`/hooks${path}`)).toHaveLength(1);
  });
});
