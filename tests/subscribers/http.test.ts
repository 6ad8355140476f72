/**
 * The endpoints outsiders POST to with no cookie and no Origin: RFC 8058 one-click unsubscribe and Resend's
 * signed webhooks, through the public Hono app exactly as src/fetch.ts mounts it.
 */
import { randomBytes } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { Webhook } from 'standardwebhooks';
import { describe, expect } from 'vitest';
import { emailMessages, subscribers } from '../../db/schema/index.ts';
import { createPublicRoutes } from '../../src/http/public/index.ts';
import { getLinkSigner } from '../../src/mail/links.ts';
import type { Ctx } from '../../src/services/context.ts';
import { subscribe } from '../../src/services/subscribers.ts';
import { uid } from '../integration/factories.ts';
import { dbTest } from '../support/db.ts';

const test = dbTest.override('ctxOptions', { actor: { kind: 'public', id: 'anonymous' }, siteUrl: 'https://status.example.test' });
const SECRET = `whsec_${randomBytes(24).toString('base64')}`;

async function confirmedSubscriber(ctx: Ctx, locale: 'it' | 'en' = 'en') {
  const email = `one.click.${uid()}@example.test`;
  await subscribe(ctx, { email, locale, allServices: true, serviceKeys: [] });
  const [row] = await ctx.db.update(subscribers).set({ state: 'confirmed' }).where(eq(subscribers.email, email)).returning();
  const links = await getLinkSigner(ctx);
  return { row: row!, url: new URL(links.unsubscribeUrl(row!.id)) };
}
const stateOf = async (ctx: Ctx, id: string) => (await ctx.db.select().from(subscribers).where(eq(subscribers.id, id)))[0]!.state;

describe('one-click unsubscribe (RFC 8058)', () => {
  test('a provider POST with List-Unsubscribe=One-Click, no cookie, no Origin, unsubscribes', async ({ ctx }) => {
    const app = createPublicRoutes({ ctx: () => ctx });
    const { row, url } = await confirmedSubscriber(ctx);
    const res = await app.request(url.pathname, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'List-Unsubscribe=One-Click',
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(await stateOf(ctx, row.id)).toBe('unsubscribed');
    // Providers retry: the same request again is still a success.
    const again = await app.request(url.pathname, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=One-Click' });
    expect(again.status).toBe(200);
  });

  test('multipart bodies are accepted too; a POST without the one-click field changes nothing', async ({ ctx }) => {
    const app = createPublicRoutes({ ctx: () => ctx });
    const { row, url } = await confirmedSubscriber(ctx);
    const empty = await app.request(url.pathname, { method: 'POST' });
    expect(empty.status).toBe(400);
    expect(await stateOf(ctx, row.id)).toBe('confirmed');
    const form = new FormData();
    form.set('List-Unsubscribe', 'One-Click');
    expect((await app.request(url.pathname, { method: 'POST', body: form })).status).toBe(200);
    expect(await stateOf(ctx, row.id)).toBe('unsubscribed');
  });

  test('GET never unsubscribes (scanners prefetch): it sends the reader to the page that asks, in their language', async ({ ctx }) => {
    const app = createPublicRoutes({ ctx: () => ctx });
    const { row, url } = await confirmedSubscriber(ctx, 'en');
    const token = url.pathname.split('/').pop()!;
    const res = await app.request(url.pathname);
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(`/en/unsubscribe/${token}`);
    expect(await stateOf(ctx, row.id)).toBe('confirmed');
  });

  test('a forged or other-purpose token is refused with one generic answer', async ({ ctx }) => {
    const app = createPublicRoutes({ ctx: () => ctx });
    const { row } = await confirmedSubscriber(ctx);
    const links = await getLinkSigner(ctx);
    const manageToken = links.manageUrl(row.id, 'it').split('/').pop()!;
    const confirmToken = links.confirmUrl(row, 'it', ctx.now()).split('/').pop()!;
    const bodies: string[] = [];
    for (const token of ['x.y', `${manageToken.split('.')[0]}.AAAA`, confirmToken]) {
      const res = await app.request(`/u/${token}`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=One-Click' });
      expect(res.status).toBe(404);
      bodies.push(await res.text());
    }
    expect(new Set(bodies).size).toBe(1);
    expect(await stateOf(ctx, row.id)).toBe('confirmed');
  });
});

describe('Resend webhooks', () => {
  async function sentMessage(ctx: Ctx) {
    const { row } = await confirmedSubscriber(ctx, 'it');
    const providerId = `re_${uid()}`;
    const [message] = await ctx.db.update(emailMessages).set({ state: 'sent', providerId }).where(eq(emailMessages.subscriberId, row.id)).returning();
    return { row, providerId, messageId: message!.id };
  }
  /** Signed with the library's own signer, with Svix's header names as Resend sends them. */
  function signed(payload: object, opts: { id?: string; at?: Date; secret?: string } = {}) {
    const body = JSON.stringify(payload);
    const id = opts.id ?? `msg_${uid()}`;
    const at = opts.at ?? new Date();
    const signature = new Webhook(opts.secret ?? SECRET).sign(id, at, body);
    return {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'svix-id': id, 'svix-timestamp': String(Math.floor(at.getTime() / 1000)), 'svix-signature': signature },
      body,
    };
  }

  test('a signed hard bounce updates the message and suppresses the address; a redelivery is ignored', async ({ ctx }) => {
    const app = createPublicRoutes({ ctx: () => ctx, resendWebhookSecret: SECRET });
    const { row, providerId, messageId } = await sentMessage(ctx);
    const request = signed({ type: 'email.bounced', created_at: new Date().toISOString(), data: { email_id: providerId, to: [row.email], bounce: { type: 'Permanent', subType: 'General', message: 'No such mailbox' } } });
    const res = await app.request('/webhooks/resend', request);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ result: 'applied' });
    expect((await ctx.db.select().from(emailMessages).where(eq(emailMessages.id, messageId)))[0]!.state).toBe('bounced');
    expect(await stateOf(ctx, row.id)).toBe('suppressed');
    const again = await app.request('/webhooks/resend', request);
    expect(await again.json()).toEqual({ result: 'duplicate' });
  });

  test('delivered and complained events', async ({ ctx }) => {
    const app = createPublicRoutes({ ctx: () => ctx, resendWebhookSecret: SECRET });
    const { row, providerId, messageId } = await sentMessage(ctx);
    await app.request('/webhooks/resend', signed({ type: 'email.delivered', data: { email_id: providerId } }));
    expect((await ctx.db.select().from(emailMessages).where(eq(emailMessages.id, messageId)))[0]!.state).toBe('delivered');
    await app.request('/webhooks/resend', signed({ type: 'email.complained', data: { email_id: providerId } }));
    expect((await ctx.db.select().from(emailMessages).where(eq(emailMessages.id, messageId)))[0]!.state).toBe('complained');
    expect(await stateOf(ctx, row.id)).toBe('suppressed');
  });

  test('wrong secret, tampered body, stale or future timestamp, missing headers: 401, nothing applied', async ({ ctx }) => {
    const app = createPublicRoutes({ ctx: () => ctx, resendWebhookSecret: SECRET });
    const { row, providerId } = await sentMessage(ctx);
    const event = { type: 'email.complained', data: { email_id: providerId, to: [row.email] } };
    const other = `whsec_${randomBytes(24).toString('base64')}`;
    const tampered = signed(event);
    tampered.body = tampered.body.replace('complained', 'delivered');
    const bad = [
      signed(event, { secret: other }),
      tampered,
      signed(event, { at: new Date(Date.now() - 10 * 60_000) }),
      signed(event, { at: new Date(Date.now() + 10 * 60_000) }),
      { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(event) },
    ];
    const answers = new Set<string>();
    for (const request of bad) {
      const res = await app.request('/webhooks/resend', request);
      expect(res.status).toBe(401);
      answers.add(await res.text());
    }
    expect(answers.size).toBe(1);
    expect(await stateOf(ctx, row.id)).toBe('confirmed');
  });

  test("the List-Unsubscribe mailto: an e-mail to unsubscribe@ with the alert's subject unsubscribes; others are ignored", async ({ ctx }) => {
    const app = createPublicRoutes({ ctx: () => ctx, resendWebhookSecret: SECRET });
    const { row } = await confirmedSubscriber(ctx, 'it');
    const mailto = new URL((await getLinkSigner(ctx)).unsubscribeMailto(row.id));
    expect(mailto.pathname).toBe('unsubscribe@status.example.test');
    const subject = mailto.searchParams.get('subject')!;
    const received = (to: string[], subjectLine: string) =>
      signed({ type: 'email.received', data: { email_id: `in_${uid()}`, from: row.email, to, subject: subjectLine } });

    const [token] = subject.split(' ').slice(1);
    const forged = `${token!.split('.')[0]}.AAAA`;
    for (const request of [
      received(['support@status.example.test'], subject),
      received(['unsubscribe@status.example.test'], `unsubscribe ${forged}`),
      received(['unsubscribe@status.example.test'], 'please stop'),
    ]) {
      expect(await (await app.request('/webhooks/resend', request)).json()).toEqual({ result: 'ignored' });
    }
    expect(await stateOf(ctx, row.id)).toBe('confirmed');

    // Mail clients prefix the subject and name the recipient.
    const request = received(['Status <UNSUBSCRIBE@status.example.test>'], `Re: ${subject}`);
    expect(await (await app.request('/webhooks/resend', request)).json()).toEqual({ result: 'applied' });
    expect(await stateOf(ctx, row.id)).toBe('unsubscribed');
    expect(await (await app.request('/webhooks/resend', request)).json()).toEqual({ result: 'duplicate' });
  });

  test('without RESEND_WEBHOOK_SECRET the endpoint does not exist', async ({ ctx }) => {
    const app = createPublicRoutes({ ctx: () => ctx });
    const res = await app.request('/webhooks/resend', signed({ type: 'email.delivered', data: {} }));
    expect(res.status).toBe(404);
  });
});
