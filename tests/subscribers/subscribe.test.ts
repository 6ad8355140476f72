import { and, eq } from 'drizzle-orm';
import { describe, expect } from 'vitest';
import { auditLog, emailMessages, outbox, subscribers } from '../../db/schema/index.ts';
import { getLinkSigner } from '../../src/mail/links.ts';
import type { Ctx } from '../../src/services/context.ts';
import { RateLimited, addressLimitKey, ipLimitKey } from '../../src/services/form-limits.ts';
import {
  confirm,
  getSubscription,
  recordProviderEvent,
  resendConfirmation,
  subscribe,
  suppress,
  unsubscribe,
  updateSubscription,
} from '../../src/services/subscribers.ts';
import { expectServiceError, makeService, uid } from '../integration/factories.ts';
import { dbTest } from '../support/db.ts';

const PUBLIC = { kind: 'public', id: 'anonymous' } as const;
const test = dbTest.override('ctxOptions', { actor: PUBLIC, now: '2026-11-28T10:00:00Z', siteUrl: 'https://status.example.test' });

const address = () => `Person.${uid()}@Example.TEST`;

async function mails(ctx: Ctx, email: string) {
  return ctx.db.select().from(emailMessages).where(eq(emailMessages.email, email.toLowerCase())).orderBy(emailMessages.createdAt);
}
async function row(ctx: Ctx, email: string) {
  return (await ctx.db.select().from(subscribers).where(eq(subscribers.email, email.toLowerCase())))[0];
}
/** The link in a stored one-off e-mail, as the reader would click it. */
function linkIn(message: { content: Record<string, unknown> | null }, pattern: RegExp): string {
  const text = String(message.content?.text ?? '');
  const found = text.match(pattern)?.[0];
  expect(found, text).toBeTruthy();
  return found!;
}
const CONFIRM_LINK = /https:\/\/status\.example\.test\/(?:en\/)?subscribe\/confirm\/[A-Za-z0-9_.-]+/;
const MANAGE_LINK = /https:\/\/status\.example\.test\/(?:en\/)?subscription\/[A-Za-z0-9_.-]+/;
const tokenOf = (url: string) => url.slice(url.lastIndexOf('/') + 1);
async function expectFieldError(promise: Promise<unknown>, field: string) {
  const error = await expectServiceError(promise, 'validation_failed');
  expect(Object.keys(error.fields ?? {})).toContain(field);
}

describe('subscribe', () => {
  test('a new address is pending and gets only a confirmation e-mail, in its language', async ({ ctx }) => {
    const svc = await makeService({ ...ctx, actor: { kind: 'system', id: 'test' } });
    const email = address();
    expect(await subscribe(ctx, { email, locale: 'en', allServices: false, serviceKeys: [svc.key], ip: '192.0.2.1' })).toEqual({ accepted: true });
    const sub = await row(ctx, email);
    expect(sub).toMatchObject({ state: 'pending', locale: 'en', allServices: false, serviceKeys: [svc.key], confirmNonce: 1 });
    const sent = await mails(ctx, email);
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ kind: 'confirm', locale: 'en', subscriberId: sub!.id, state: 'queued' });
    expect(String(sent[0]!.content?.subject)).toMatch(/Confirm your subscription/);
    expect(linkIn(sent[0]!, CONFIRM_LINK)).toMatch(/\/en\/subscribe\/confirm\//);
    // The e-mail goes through the outbox like any other.
    const jobs = await ctx.db.select().from(outbox).where(and(eq(outbox.kind, 'email.batch'), eq(outbox.subjectId, sent[0]!.batchId)));
    expect(jobs).toHaveLength(1);
  });

  test('the answer is the same for a new, a pending and a confirmed address; the mailbox learns which', async ({ ctx }) => {
    const email = address();
    const input = { email, locale: 'it' as const, allServices: true, serviceKeys: [] };
    const first = await subscribe(ctx, input);
    const again = await subscribe(ctx, input);
    const [, second] = await mails(ctx, email);
    await confirm(ctx, tokenOf(linkIn(second!, CONFIRM_LINK)));
    const third = await subscribe(ctx, { ...input, locale: 'en', allServices: false, serviceKeys: [] }).catch((e) => e);
    // An invalid choice is still refused for everyone alike…
    expect(third).toMatchObject({ code: 'validation_failed', fields: { serviceKeys: expect.any(String) } });
    const fourth = await subscribe(ctx, { ...input, locale: 'en' });
    expect([first, again, fourth]).toEqual([{ accepted: true }, { accepted: true }, { accepted: true }]);
    const sent = await mails(ctx, email);
    expect(sent.map((m) => m.kind)).toEqual(['confirm', 'confirm', 'owner_notice']);
    // …and a stranger re-subscribing a confirmed address changes nothing of its choices.
    expect(await row(ctx, email)).toMatchObject({ state: 'confirmed', locale: 'it', allServices: true });
    expect(linkIn(sent[2]!, MANAGE_LINK)).toMatch(/\/subscription\//);
  });

  test('a newer confirmation link makes the older one useless; confirming twice is harmless', async ({ ctx }) => {
    const email = address();
    await subscribe(ctx, { email, locale: 'it', allServices: true, serviceKeys: [] });
    await resendConfirmation(ctx, { email });
    const [older, newer] = await mails(ctx, email);
    const oldToken = tokenOf(linkIn(older!, CONFIRM_LINK));
    const newToken = tokenOf(linkIn(newer!, CONFIRM_LINK));
    await expectServiceError(confirm(ctx, oldToken), 'validation_failed');
    const done = await confirm(ctx, newToken);
    expect(done.subscription).toMatchObject({ state: 'confirmed', email: email.toLowerCase() });
    expect((await confirm(ctx, newToken)).subscription.state).toBe('confirmed');
    expect(await getSubscription(ctx, done.manageToken)).toMatchObject({ state: 'confirmed' });
    const sub = (await row(ctx, email))!;
    const audit = await ctx.db.select().from(auditLog).where(and(eq(auditLog.objectType, 'subscriber'), eq(auditLog.objectId, sub.id)));
    // The audit keeps the choice and the state, not the address.
    expect(audit.map((a) => a.action).sort()).toEqual(['subscriber.confirm', 'subscriber.subscribe']);
    expect(JSON.stringify(audit)).not.toContain(email.toLowerCase());
  });

  test('a confirmation link expires after 72 hours', async ({ ctx }) => {
    const email = address();
    await subscribe(ctx, { email, locale: 'it', allServices: true, serviceKeys: [] });
    const [mail] = await mails(ctx, email);
    ctx.clock.advance(72 * 3_600_000 + 1000);
    const error = await confirm(ctx, tokenOf(linkIn(mail!, CONFIRM_LINK))).catch((e) => e);
    // One message whatever was wrong: expired reads exactly like forged.
    const forged = await confirm(ctx, 'bm9wZQ.bm9wZQ').catch((e) => e);
    expect(error.message).toBe(forged.message);
    expect(error.fields).toEqual({ token: 'not valid or expired' });
  });

  test('bad input names the field; unknown services are refused by name', async ({ ctx }) => {
    await expectFieldError(subscribe(ctx, { email: 'not-an-address', locale: 'it', allServices: true, serviceKeys: [] }), 'email');
    await expectFieldError(subscribe(ctx, { email: address(), locale: 'fr' as 'it', allServices: true, serviceKeys: [] }), 'locale');
    const error = await subscribe(ctx, { email: address(), locale: 'it', allServices: false, serviceKeys: ['no-such-service'] }).catch((e) => e);
    expect(error.fields).toEqual({ serviceKeys: 'unknown service: no-such-service' });
  });

  test('rate limited per IP (an error) and per address (silently: nothing more is sent)', async ({ ctx }) => {
    const ip = `198.51.100.${Math.floor(Math.random() * 200) + 1}`;
    // Refused forms do not count: a reader correcting a typo is not locked out.
    for (let i = 0; i < 12; i++) await expectFieldError(subscribe(ctx, { email: 'typo', locale: 'it', allServices: true, serviceKeys: [], ip }), 'email');
    for (let i = 0; i < 10; i++) await subscribe(ctx, { email: address(), locale: 'it', allServices: true, serviceKeys: [], ip });
    const limited = await subscribe(ctx, { email: address(), locale: 'it', allServices: true, serviceKeys: [], ip }).catch((e) => e);
    expect(limited).toBeInstanceOf(RateLimited);
    expect(limited.retryAfterSeconds).toBeGreaterThan(0);
    // A new window opens after an hour.
    ctx.clock.advance(3_600_000);
    await expect(subscribe(ctx, { email: address(), locale: 'it', allServices: true, serviceKeys: [], ip })).resolves.toEqual({ accepted: true });

    const email = address();
    for (let i = 0; i < 5; i++) {
      expect(await subscribe(ctx, { email, locale: 'it', allServices: true, serviceKeys: [], ip: `203.0.113.${i + 1}` })).toEqual({ accepted: true });
    }
    expect(await mails(ctx, email)).toHaveLength(3);
  });

  test('limit keys: IPv6 by /64 however written, IPv4-mapped as IPv4, addresses hashed', () => {
    expect(ipLimitKey('s', '2001:db8:0:1::1')).toBe('s:ip:2001:db8:0:1::/64');
    expect(ipLimitKey('s', '2001:0DB8:0000:0001:ffff:0:0:2')).toBe('s:ip:2001:db8:0:1::/64');
    expect(ipLimitKey('s', '::ffff:192.0.2.7')).toBe('s:ip:192.0.2.7');
    expect(ipLimitKey('s', '::1')).toBe('s:ip:0:0:0:0::/64');
    expect(addressLimitKey('s', ' Someone@Example.test ')).toBe(addressLimitKey('s', 'someone@example.test'));
    expect(addressLimitKey('s', 'someone@example.test')).not.toContain('example');
  });

  test('IPv6 clients are counted per /64', async ({ ctx }) => {
    const prefix = `2001:db8:${uid().slice(0, 4)}:1`;
    for (let i = 0; i < 10; i++) await subscribe(ctx, { email: address(), locale: 'it', allServices: true, serviceKeys: [], ip: `${prefix}::${i + 1}` });
    await expect(subscribe(ctx, { email: address(), locale: 'it', allServices: true, serviceKeys: [], ip: `${prefix}:0:0:0:ff` })).rejects.toBeInstanceOf(RateLimited);
  });
});

describe('manage, unsubscribe, suppress', () => {
  async function confirmed(ctx: Ctx, locale: 'it' | 'en' = 'it') {
    const email = address();
    await subscribe(ctx, { email, locale, allServices: true, serviceKeys: [] });
    const [mail] = await mails(ctx, email);
    const { manageToken } = await confirm(ctx, tokenOf(linkIn(mail!, CONFIRM_LINK)));
    const sub = (await row(ctx, email))!;
    const links = await getLinkSigner(ctx);
    return { email, sub, manageToken, unsubscribeToken: tokenOf(links.unsubscribeUrl(sub.id)) };
  }

  test('the manage link changes language and services, validated like the form', async ({ ctx }) => {
    const svc = await makeService({ ...ctx, actor: { kind: 'system', id: 'test' } });
    const { email, manageToken } = await confirmed(ctx);
    const updated = await updateSubscription(ctx, manageToken, { locale: 'en', allServices: false, serviceKeys: [svc.key, svc.key] });
    expect(updated).toMatchObject({ locale: 'en', allServices: false, serviceKeys: [svc.key] });
    expect(await row(ctx, email)).toMatchObject({ locale: 'en', state: 'confirmed' });
    await expectFieldError(updateSubscription(ctx, manageToken, { locale: 'en', allServices: false, serviceKeys: ['nope'] }), 'serviceKeys');
  });

  test('an unsubscribe link cannot change preferences; either link unsubscribes, repeatably', async ({ ctx }) => {
    const { email, unsubscribeToken } = await confirmed(ctx);
    await expectFieldError(updateSubscription(ctx, unsubscribeToken, { locale: 'en', allServices: true, serviceKeys: [] }), 'token');
    expect((await unsubscribe(ctx, unsubscribeToken)).state).toBe('unsubscribed');
    expect((await unsubscribe(ctx, unsubscribeToken)).state).toBe('unsubscribed');
    expect((await row(ctx, email))!.unsubscribedAt).toEqual(ctx.now());
    // Subscribing again starts over with a confirmation.
    await subscribe(ctx, { email, locale: 'it', allServices: true, serviceKeys: [] });
    expect((await row(ctx, email))!.state).toBe('pending');
  });

  test('a suppressed address is never mailed again, whatever the form says', async ({ ctx }) => {
    const { email } = await confirmed(ctx);
    expect(await suppress(ctx, email, 'hard bounce')).toBe(true);
    expect(await suppress(ctx, email, 'hard bounce')).toBe(false);
    const before = (await mails(ctx, email)).length;
    expect(await subscribe(ctx, { email, locale: 'it', allServices: true, serviceKeys: [] })).toEqual({ accepted: true });
    expect(await mails(ctx, email)).toHaveLength(before);
    expect(await row(ctx, email)).toMatchObject({ state: 'suppressed', suppressedReason: 'hard bounce' });
  });
});

describe('provider events', () => {
  async function sentMessage(ctx: Ctx) {
    const email = address();
    await subscribe(ctx, { email, locale: 'it', allServices: true, serviceKeys: [] });
    const [mail] = await mails(ctx, email);
    const providerId = `re_${uid()}`;
    await ctx.db.update(emailMessages).set({ state: 'sent', providerId }).where(eq(emailMessages.id, mail!.id));
    return { email, providerId, messageId: mail!.id };
  }
  const state = async (ctx: Ctx, id: string) => (await ctx.db.select().from(emailMessages).where(eq(emailMessages.id, id)))[0]!;

  test('delivered, then a late duplicate is ignored by its webhook id', async ({ ctx }) => {
    const { providerId, messageId } = await sentMessage(ctx);
    const event = { webhookId: `msg_${uid()}`, type: 'email.delivered', data: { email_id: providerId } };
    expect(await recordProviderEvent(ctx, event)).toBe('applied');
    expect((await state(ctx, messageId)).state).toBe('delivered');
    await ctx.db.update(emailMessages).set({ state: 'sent' }).where(eq(emailMessages.id, messageId));
    expect(await recordProviderEvent(ctx, event)).toBe('duplicate');
    expect((await state(ctx, messageId)).state).toBe('sent');
  });

  test('a hard bounce marks the message and suppresses the address; a soft one does neither', async ({ ctx }) => {
    const soft = await sentMessage(ctx);
    expect(
      await recordProviderEvent(ctx, { webhookId: uid(), type: 'email.bounced', data: { email_id: soft.providerId, to: [soft.email], bounce: { type: 'Transient', message: 'mailbox full' } } }),
    ).toBe('ignored');
    expect((await row(ctx, soft.email))!.state).toBe('pending');

    const hard = await sentMessage(ctx);
    await recordProviderEvent(ctx, { webhookId: uid(), type: 'email.bounced', data: { email_id: hard.providerId, to: [hard.email], bounce: { type: 'Permanent', message: 'no such user' } } });
    expect(await state(ctx, hard.messageId)).toMatchObject({ state: 'bounced', error: 'no such user' });
    expect(await row(ctx, hard.email)).toMatchObject({ state: 'suppressed', suppressedReason: 'hard bounce: no such user' });
    // A delivery report arriving after the bounce does not paint it green.
    await recordProviderEvent(ctx, { webhookId: uid(), type: 'email.delivered', data: { email_id: hard.providerId } });
    expect((await state(ctx, hard.messageId)).state).toBe('bounced');
  });

  test('a complaint suppresses the address found by provider id alone', async ({ ctx }) => {
    const { email, providerId, messageId } = await sentMessage(ctx);
    await recordProviderEvent(ctx, { webhookId: uid(), type: 'email.complained', data: { email_id: providerId } });
    expect((await state(ctx, messageId)).state).toBe('complained');
    expect(await row(ctx, email)).toMatchObject({ state: 'suppressed', suppressedReason: 'spam complaint' });
  });
});
