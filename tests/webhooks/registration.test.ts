/**
 * Registering endpoints: what is refused (non-HTTPS, private targets: the SSRF guard at registration and again at
 * send time), operator actions, and the self-service flow with its signed confirmation link and rate limit.
 */
import { eq } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { auditLog, emailMessages, webhookDeliveries, webhookEndpoints } from '../../db/schema/index.ts';
import { type TestCtx, dbTest } from '../support/db.ts';
import { OPERATOR, expectServiceError, makeIncident, uid } from '../integration/factories.ts';
import type { Actor } from '../../src/services/context.ts';
import {
  REGISTER_LIMITS,
  confirmWebhook,
  createWebhook,
  deleteWebhook,
  getWebhook,
  listWebhooks,
  registerWebhook,
  rotateWebhookSecret,
} from '../../src/services/webhooks.ts';
import { RateLimited } from '../../src/services/form-limits.ts';
import { isForbiddenAddress } from '../../src/webhooks/address.ts';
import { configureWebhooks } from '../../src/webhooks/policy.ts';
import { type Receiver, drainWebhooks, startReceiver } from './support.ts';

const ADMIN: Actor = { kind: 'operator', id: 'admin-1', role: 'admin' };
const test = dbTest.override('ctxOptions', { actor: ADMIN, siteUrl: 'https://status.example.test' });
const input = (url: string) => ({ url, events: ['incident.*'], ownerEmail: `owner-${uid()}@example.org` });

afterEach(() => configureWebhooks({ webhooksAllowPrivate: false }));

describe('address classification', () => {
  it.each([
    '10.1.2.3', '127.0.0.1', '127.255.0.9', '169.254.169.254', '172.16.0.1', '192.168.1.1', '100.64.0.1', '0.0.0.0',
    '224.0.0.1', '255.255.255.255', '::', '::1', 'fe80::1', 'FE80::abcd', 'fd00::1', 'fc00::2', 'ff02::1',
    '::ffff:127.0.0.1', '::ffff:10.0.0.1', '::ffff:7f00:1', '64:ff9b::a00:1', 'not-an-address',
  ])('%s is refused', (address) => expect(isForbiddenAddress(address)).toBe(true));

  it.each(['93.184.215.14', '8.8.8.8', '2606:4700:4700::1111', '::ffff:8.8.8.8', '172.32.0.1', '100.128.0.1'])('%s is public', (address) =>
    expect(isForbiddenAddress(address)).toBe(false),
  );
});

describe('registration refuses unsafe targets (WEBHOOKS_ALLOW_PRIVATE off)', () => {
  test.for([
    ['https://10.0.0.5/hook', '10.0.0.5'],
    ['https://127.0.0.1:8443/hook', '127.0.0.1'],
    ['https://[::1]/hook', '::1'],
    ['https://[fe80::1]/hook', 'fe80::1'],
    ['https://[fd00::1]/hook', 'fd00::1'],
    ['https://[::ffff:127.0.0.1]/hook', '::ffff:7f00:1'],
    ['https://localhost/hook', 'localhost'],
    ['https://169.254.169.254/latest/meta-data', '169.254.169.254'],
  ] as [string, string][])('%s', async ([url, named], { ctx }) => {
    const error = await expectServiceError(createWebhook(ctx, input(url)), 'validation_failed');
    expect(Object.keys(error.fields ?? {})).toEqual(['url']);
    expect(error.fields!.url).toContain(named);
    expect(await ctx.db.select().from(webhookEndpoints)).toHaveLength(0);
  });

  test('plain http is refused with a clear field error; credentials in the URL too', async ({ ctx }) => {
    const http = await expectServiceError(createWebhook(ctx, input('http://partner.example.com/hook')), 'validation_failed');
    expect(http.fields).toEqual({ url: 'must start with https://' });
    const creds = await expectServiceError(createWebhook(ctx, input('https://user:pw@partner.example.com/hook')), 'validation_failed');
    expect(creds.fields?.url).toMatch(/user name or password/);
  });

  test('bad input names each wrong field', async ({ ctx }) => {
    const error = await expectServiceError(
      createWebhook(ctx, { url: 'not a url', events: ['incident.exploded'], ownerEmail: 'nobody', locale: 'fr' as never }),
      'validation_failed',
    );
    expect(Object.keys(error.fields ?? {}).sort()).toEqual(['events.0', 'locale', 'ownerEmail', 'url']);
    const none = await expectServiceError(createWebhook(ctx, { ...input('https://partner.example.com/'), events: [] }), 'validation_failed');
    expect(none.fields).toEqual({ events: 'choose at least one event' });
  });

  test('a target that turns private after registration is refused at send time', async ({ ctx }) => {
    configureWebhooks({ webhooksAllowPrivate: true });
    const receiver = await startReceiver();
    try {
      const { endpoint } = await createWebhook(ctx, { ...input(`${receiver.url.replace('http:', 'https:')}`), events: ['*'] });
      configureWebhooks({ webhooksAllowPrivate: false });
      await makeIncident({ ...ctx, actor: OPERATOR });
      await drainWebhooks(ctx);
      const [delivery] = await ctx.db.select().from(webhookDeliveries).where(eq(webhookDeliveries.endpointId, endpoint.id));
      expect(delivery).toMatchObject({ state: 'pending', lastStatus: null });
      expect(delivery!.log[0]!.error).toMatch(/^refused: .*127\.0\.0\.1/);
      expect(receiver.requests).toHaveLength(0);
    } finally {
      await receiver.close();
    }
  });

  test('a host name resolving to loopback is refused at send time too', async ({ ctx }) => {
    configureWebhooks({ webhooksAllowPrivate: true });
    const { endpoint } = await createWebhook(ctx, { ...input('https://localhost:1/hook'), events: ['*'] });
    configureWebhooks({ webhooksAllowPrivate: false });
    await makeIncident({ ...ctx, actor: OPERATOR });
    await drainWebhooks(ctx);
    const [delivery] = await ctx.db.select().from(webhookDeliveries).where(eq(webhookDeliveries.endpointId, endpoint.id));
    expect(delivery!.log[0]!.error).toMatch(/^refused: localhost resolves to/);
  });

  test('with WEBHOOKS_ALLOW_PRIVATE on, local http targets are accepted', async ({ ctx }) => {
    configureWebhooks({ webhooksAllowPrivate: true });
    const { endpoint } = await createWebhook(ctx, input('http://127.0.0.1:9/hook'));
    expect(endpoint.state).toBe('active');
  });
});

describe('operator actions', () => {
  test('only administrators manage webhooks; secrets are shown to them and rotate', async ({ ctx }) => {
    await expectServiceError(createWebhook({ ...ctx, actor: OPERATOR }, input('https://93.184.215.14/hook')), 'forbidden');
    const created = await createWebhook(ctx, { ...input('https://93.184.215.14/hook'), description: 'Partner ERP' });
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(created.endpoint).not.toHaveProperty('secret');
    expect((await listWebhooks(ctx)).map((w) => w.id)).toContain(created.endpoint.id);
    expect((await listWebhooks(ctx))[0]).not.toHaveProperty('secret');
    expect((await getWebhook(ctx, { id: created.endpoint.id })).secret).toBe(created.secret);
    const rotated = await rotateWebhookSecret(ctx, { id: created.endpoint.id });
    expect(rotated.secret).not.toBe(created.secret);
    await deleteWebhook(ctx, { id: created.endpoint.id });
    await expectServiceError(getWebhook(ctx, { id: created.endpoint.id }), 'not_found');
    const audit = await ctx.db.select().from(auditLog).where(eq(auditLog.objectId, created.endpoint.id));
    expect(audit.map((a) => a.action).sort()).toEqual(['webhook.create', 'webhook.delete', 'webhook.rotate_secret']);
    // The secret never lands in the audit trail.
    expect(JSON.stringify(audit)).not.toContain(created.secret.slice(6));
  });
});

describe('self-service', () => {
  let receiver: Receiver;
  beforeAll(async () => {
    receiver = await startReceiver();
  });
  afterAll(() => receiver.close());

  const publicCtx = (ctx: TestCtx): TestCtx => ({ ...ctx, actor: { kind: 'public', id: 'anonymous' } });

  test('pending until the owner confirms by the e-mailed link; nothing is sent before', async ({ ctx }) => {
    configureWebhooks({ webhooksAllowPrivate: true });
    const owner = `partner-${uid()}@example.org`;
    const { id } = await registerWebhook(publicCtx(ctx), { url: `${receiver.url}/self`, events: ['incident.created'], ownerEmail: owner, locale: 'en', clientIp: '203.0.113.7' });
    const [row] = await ctx.db.select().from(webhookEndpoints).where(eq(webhookEndpoints.id, id));
    expect(row).toMatchObject({ state: 'pending', selfService: true, ownerEmail: owner });

    await makeIncident({ ...ctx, actor: OPERATOR });
    await drainWebhooks(ctx);
    expect(receiver.requests).toHaveLength(0);

    const [mail] = await ctx.db.select().from(emailMessages).where(eq(emailMessages.email, owner));
    expect(mail).toMatchObject({ kind: 'confirm', locale: 'en' });
    const text = (mail!.content as { text: string }).text;
    const link = new URL(/https:\/\/status\.example\.test\/en\/webhooks\/confirm\?\S+/.exec(text)![0]);
    const params = { id: link.searchParams.get('id')!, nonce: link.searchParams.get('n')!, sig: link.searchParams.get('sig')! };

    // Every wrong part gets the same answer, which does not say which part was wrong.
    const wrong = [
      { ...params, sig: params.sig.replace(/^./, (c) => (c === 'A' ? 'B' : 'A')) },
      { ...params, nonce: '2' },
      { ...params, id: 'someoneelse' },
      { ...params, sig: '' },
    ];
    const messages = new Set<string>();
    for (const attempt of wrong) messages.add((await expectServiceError(confirmWebhook(publicCtx(ctx), attempt), 'forbidden')).message);
    expect(messages.size).toBe(1);

    const confirmed = await confirmWebhook(publicCtx(ctx), params);
    expect(confirmed.endpoint.state).toBe('active');
    expect(confirmed.secret).toBe(row!.secret);
    await makeIncident({ ...ctx, actor: OPERATOR });
    await drainWebhooks(ctx);
    expect(receiver.requests).toHaveLength(1);
  });

  test('self-service registration refuses private targets and is rate limited per client address', async ({ ctx }) => {
    const refused = await expectServiceError(
      registerWebhook(publicCtx(ctx), { url: 'https://10.1.1.1/x', events: ['*'], ownerEmail: 'a@example.org', clientIp: '198.51.100.1' }),
      'validation_failed',
    );
    expect(Object.keys(refused.fields ?? {})).toEqual(['url']);

    configureWebhooks({ webhooksAllowPrivate: true });
    const ip = `198.51.100.${Math.floor(Math.random() * 200) + 2}`;
    for (let i = 0; i < REGISTER_LIMITS.perIp.limit; i++) {
      await registerWebhook(publicCtx(ctx), { url: `${receiver.url}/${i}`, events: ['*'], ownerEmail: `o${i}-${uid()}@example.org`, clientIp: ip });
    }
    const error = await registerWebhook(publicCtx(ctx), { url: `${receiver.url}/x`, events: ['*'], ownerEmail: `x-${uid()}@example.org`, clientIp: ip }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(RateLimited);
    // Another address is not affected.
    await registerWebhook(publicCtx(ctx), { url: `${receiver.url}/y`, events: ['*'], ownerEmail: `y-${uid()}@example.org`, clientIp: '192.0.2.99' });
  });
});
