/**
 * The console's webhook pages and the public self-service pages on the built server, whose own delivery worker
 * sends to a local receiver: an operator registers an endpoint, sees its secret, sends a test message that
 * arrives signed, reads the delivery log, disables it; a partner registers and meets a confirmation link.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Webhook } from 'standardwebhooks';
import type { RunningServer } from '../support/server.ts';
import { ConsoleClient, PASSWORD, bootServer, ensureBuilt, decode, hidden, text } from '../console/client.ts';
import { type Receiver, startReceiver } from './support.ts';

const ADMIN = 'admin@example.com';
let server: RunningServer;
let admin: ConsoleClient;
let receiver: Receiver;

beforeAll(async () => {
  await ensureBuilt();
  receiver = await startReceiver();
  server = await bootServer({ VEDETTA_DEMO: 'off', ADMIN_EMAIL: ADMIN, ADMIN_PASSWORD: PASSWORD, WEBHOOKS_ALLOW_PRIVATE: 'on' });
  admin = new ConsoleClient(server.url);
  expect((await admin.signIn(ADMIN)).status).toBe(303);
}, 600_000);

afterAll(async () => {
  await server?.stop();
  await receiver?.close();
});

async function eventually<T>(probe: () => Promise<T | undefined>, what: string): Promise<T> {
  // Waits for the server's worker (polling every 500 ms) without asserting on how long it takes.
  for (let i = 0; i < 200; i++) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`never happened: ${what}`);
}

describe('console', () => {
  it('registers an endpoint, sends a signed test message, logs it, and disables the endpoint', async () => {
    const form = await admin.get('/admin/webhooks');
    expect(form.status).toBe(200);
    expect(form.headers.get('cache-control')).toBe('no-store');
    expect(text(form.html)).toContain('Registra un webhook');

    const refused = await admin.post('/admin/webhooks', { _csrf: hidden(form.html, '_csrf'), url: 'ftp://x', ownerEmail: 'nope', locale: 'it' });
    expect(refused.status).toBe(422);
    expect(refused.html).toMatch(/aria-invalid="true"/);

    const created = await admin.post('/admin/webhooks', {
      _csrf: hidden(form.html, '_csrf'),
      url: `${receiver.url}/console`,
      events: ['incident.*', 'maintenance.*'],
      ownerEmail: 'ops@partner.example',
      locale: 'en',
      description: 'Partner ERP',
    });
    expect(created.status, text(created.html).slice(0, 400)).toBe(200);
    const secret = decode(/<code data-secret>([^<]+)<\/code>/.exec(created.html)![1]!);
    expect(secret).toMatch(/^whsec_/);
    const id = /href="\/admin\/webhooks\/([a-z0-9]+)"/.exec(created.html)![1]!;

    const detail = await admin.get(`/admin/webhooks/${id}`);
    expect(text(detail.html)).toContain('maintenance.*');
    const test = await admin.post(`/admin/webhooks/${id}`, { _csrf: hidden(detail.html, '_csrf'), _action: 'test' });
    expect(test.status).toBe(303);
    expect(test.location).toBe(`/admin/webhooks/${id}?ok=webhook-test#deliveries`);

    const message = await eventually(async () => receiver.requests.find((r) => r.path === '/hooks/console'), 'the test message');
    expect(new Webhook(secret).verify(message.body, message.headers as Record<string, string>)).toMatchObject({ type: 'webhook.test', version: 1 });
    const logged = await eventually(async () => {
      const page = await admin.get(`/admin/webhooks/${id}`);
      return /consegnata/.test(page.html) ? page : undefined;
    }, 'the delivery in the log');
    expect(text(logged.html)).toContain('webhook.test');
    expect(text(logged.html)).toMatch(/204, \d+ ms/);

    const off = await admin.post(`/admin/webhooks/${id}`, { _csrf: hidden(logged.html, '_csrf'), _action: 'disable' });
    expect(off.status).toBe(303);
    expect(text((await admin.get(`/admin/webhooks/${id}`)).html)).toContain('disattivato da un operatore');
  });

  it('changes an endpoint in place, and sends again what it missed while disabled', async () => {
    const form = await admin.get('/admin/webhooks');
    const created = await admin.post('/admin/webhooks', {
      _csrf: hidden(form.html, '_csrf'),
      url: `${receiver.url}/before-move`,
      events: ['maintenance.*'],
      ownerEmail: 'ops@partner.example',
      locale: 'it',
    });
    const secret = decode(/<code data-secret>([^<]+)<\/code>/.exec(created.html)![1]!);
    const id = /href="\/admin\/webhooks\/([a-z0-9]+)"/.exec(created.html)![1]!;
    const path = `/admin/webhooks/${id}`;

    const detail = await admin.get(path);
    expect(detail.html).toMatch(/<h2 id="h-edit">Modifica il webhook<\/h2>/);
    const bad = await admin.post(path, { _csrf: hidden(detail.html, '_csrf'), _action: 'update', url: 'ftp://x', events: ['incident.*'], locale: 'it' });
    expect(bad.status).toBe(422);
    // Sent back with what was typed, the wrong field marked.
    expect(bad.html).toMatch(/id="f-url"[^>]*aria-invalid="true"/);
    expect(bad.html).toMatch(/value="ftp:\/\/x"/);
    const moved = await admin.post(path, {
      _csrf: hidden(detail.html, '_csrf'),
      _action: 'update',
      url: `${receiver.url}/after-move`,
      events: ['incident.*'],
      locale: 'en',
      description: 'Moved receiver',
    });
    expect(moved.status, text(moved.html).slice(0, 300)).toBe(303);
    expect(moved.location).toBe(`${path}?ok=webhook-updated`);
    const after = await admin.get(path);
    expect(text(after.html)).toContain('Moved receiver');
    expect(decode(/<code data-secret>([^<]+)<\/code>/.exec(after.html)![1]!)).toBe(secret);

    // Disabled, it misses an incident: the log shows it failed, not sent.
    await admin.post(path, { _csrf: hidden(after.html, '_csrf'), _action: 'disable' });
    const declared = await admin.post('/admin/incidents/new', {
      _csrf: await admin.csrf('/admin/incidents/new'),
      intent: 'publish',
      'title.it': 'Mancato dal partner',
      impact: 'minor',
      status: 'investigating',
      'body.it': 'Il partner non lo riceve subito.',
    });
    expect(declared.status).toBe(303);
    const missed = await eventually(async () => {
      const page = await admin.get(path);
      return /not sent: the endpoint is disabled/.test(page.html) ? page : undefined;
    }, 'the missed delivery in the log');
    expect(missed.html).not.toMatch(/Invia di nuovo le consegne fallite/);

    await admin.post(path, { _csrf: hidden(missed.html, '_csrf'), _action: 'enable' });
    const enabled = await admin.get(path);
    expect(enabled.html).toMatch(/aria-label="Invia di nuovo: incident.created"/);
    const again = await admin.post(path, { _csrf: hidden(enabled.html, '_csrf'), _action: 'redeliver' });
    expect(again.status).toBe(303);
    expect(again.location).toBe(`${path}?ok=webhook-redelivered#deliveries`);
    const message = await eventually(async () => receiver.requests.find((r) => r.path === '/hooks/after-move'), 'the missed event');
    expect(new Webhook(secret).verify(message.body, message.headers as Record<string, string>)).toMatchObject({ type: 'incident.created' });
    expect(receiver.requests.some((r) => r.path === '/hooks/before-move')).toBe(false);
  });

  it('is for administrators only, and forms need the CSRF token', async () => {
    const anon = new ConsoleClient(server.url);
    expect((await anon.get('/admin/webhooks')).status).toBe(303);
    const forged = await admin.post('/admin/webhooks', { _csrf: 'wrong', url: `${receiver.url}/x`, events: ['*'], ownerEmail: 'a@example.org' });
    expect(forged.status).toBe(403);
  });
});

describe('public self-service', () => {
  it('shows the form in both languages and names each wrong field', async () => {
    const anon = new ConsoleClient(server.url);
    const it = await anon.get('/webhooks');
    expect(it.status).toBe(200);
    expect(it.html).toMatch(/<label for="url"/);
    const form = (await anon.get('/en/webhooks')).html;
    expect(form).toContain('Webhooks for partner systems');
    // Said on the webhooks page, "this page" would be the form: the events are the status page's.
    expect(form).toContain('Receive every update of the status page on your own system');

    const bad = await anon.post('/en/webhooks', { url: 'http://partner.example.com/', ownerEmail: 'nobody', locale: 'en' });
    expect(bad.status).toBe(400);
    const words = text(bad.html);
    expect(words).toContain('Choose at least one event.');
    expect(words).toContain('Enter a valid e-mail address.');
    expect(bad.html).toMatch(/id="ownerEmail"[^>]*aria-invalid="true"/);
  });

  it('a partner registers, follows the e-mailed link, confirms and gets the secret', async () => {
    const anon = new ConsoleClient(server.url);
    const owner = 'erp-team@partner.example';
    const sent = await anon.post('/en/webhooks', { url: `${receiver.url}/confirmed`, events: ['incident.*'], ownerEmail: owner, locale: 'en' });
    expect(sent.status, text(sent.html).slice(0, 300)).toBe(200);
    // The server's worker writes the e-mail (embedded .eml transport); the console's mail list shows its text.
    const link = await eventually(async () => {
      const mail = decode((await admin.get('/admin/mail')).html);
      return /https?:\/\/[^\s<"]+\/en\/webhooks\/confirm\?[^\s<"]+/.exec(mail)?.[0];
    }, 'the confirmation e-mail');
    const path = new URL(link).pathname + new URL(link).search;
    const ask = await anon.get(path);
    expect(ask.status).toBe(200);
    expect(ask.headers.get('cache-control')).toBe('no-store');
    expect(text(ask.html)).toContain('Do you confirm');
    const done = await anon.post(path, { id: hidden(ask.html, 'id'), n: hidden(ask.html, 'n'), sig: hidden(ask.html, 'sig') });
    expect(done.status).toBe(200);
    expect(text(done.html)).toContain('Webhook active');
    expect(decode(/<code[^>]*data-secret[^>]*>([^<]+)<\/code>/.exec(done.html)![1]!)).toMatch(/^whsec_/);
    const row = /<a href="\/admin\/webhooks\/[a-z0-9]+"[^>]*>[^<]*\/confirmed<\/a>[\s\S]*?<\/tr>/.exec((await admin.get('/admin/webhooks')).html)![0];
    expect(row).toMatch(/>attivo<\/span>/);
  });

  it('registers a pending endpoint and answers "check your inbox"; a bad confirmation link is refused', async () => {
    const anon = new ConsoleClient(server.url);
    const sent = await anon.post('/webhooks', { url: `${receiver.url}/self`, events: ['*'], ownerEmail: 'partner@example.org', locale: 'it' });
    expect(sent.status, text(sent.html).slice(0, 300)).toBe(200);
    expect(text(sent.html)).toContain('partner@example.org');
    const list = await admin.get('/admin/webhooks');
    expect(text(list.html)).toContain('in attesa di conferma');

    const ask = await anon.get('/webhooks/confirm?id=abc&n=1&sig=forged');
    expect(ask.status).toBe(200);
    const refused = await anon.post('/webhooks/confirm?id=abc', { id: 'abc', n: '1', sig: 'forged' });
    expect(refused.status).toBe(400);
    expect(text(refused.html)).toContain('Questo link di conferma non è valido');
    expect((await anon.get('/webhooks/confirm')).status).toBe(404);
  });
});
