/**
 * The two public endpoints that outsiders POST to without a cookie or an Origin header, so they live here as Hono
 * routes (outside Astro's form origin check) and carry their own proof instead:
 *
 *   /u/{token}          RFC 8058 one-click unsubscribe. The signed, single-purpose token IS the authorisation; a
 *                       mail provider POSTs `List-Unsubscribe=One-Click`. GET never unsubscribes (mail scanners
 *                       prefetch links): it sends the reader to a page that asks first.
 *   /webhooks/resend    Resend's delivery events and received e-mails (the List-Unsubscribe mailto:), accepted only
 *                       with a valid Standard Webhooks (svix) signature within the library's 5-minute timestamp
 *                       tolerance; a redelivered id is acknowledged and ignored (src/services/subscribers.ts,
 *                       `recordProviderEvent`, `recordReceivedMail`).
 */
import { Hono } from 'hono';
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import { localePath } from '../../i18n/index.ts';
import { SYSTEM_ACTOR } from '../../services/context.ts';
import { ServiceError } from '../../services/errors.ts';
import {
  type ProviderEvent,
  type ReceivedMail,
  getSubscription,
  recordProviderEvent,
  recordReceivedMail,
  unsubscribe,
} from '../../services/subscribers.ts';
import type { PublicDeps } from './http.ts';

export type SubscriptionDeps = PublicDeps & {
  /** RESEND_WEBHOOK_SECRET; without it the webhook endpoint does not exist. */
  resendWebhookSecret?: string;
};

/** Resend's events are small JSON documents; anything much larger is not one. */
const MAX_WEBHOOK_BYTES = 256 * 1024;
const NO_STORE = { 'Cache-Control': 'no-store' };

export function createSubscriptionRoutes(deps: SubscriptionDeps) {
  const app = new Hono();

  app.get('/u/:token', async (c) => {
    const token = c.req.param('token');
    // The reader's own language when the link is genuine; the page itself refuses a bad one, in Italian.
    const locale = await getSubscription(deps.ctx(), token, ['unsubscribe']).then(
      (s) => s.locale,
      () => 'it' as const,
    );
    return c.redirect(localePath(locale, `/unsubscribe/${encodeURIComponent(token)}`), 303);
  });

  app.post('/u/:token', async (c) => {
    const body = await c.req.parseBody().catch(() => ({}) as Record<string, unknown>);
    if (body['List-Unsubscribe'] !== 'One-Click') {
      return c.text('Expected the form body List-Unsubscribe=One-Click (RFC 8058).\n', 400, NO_STORE);
    }
    try {
      await unsubscribe(deps.ctx(), c.req.param('token'));
    } catch (error) {
      if (error instanceof ServiceError) return c.text('This unsubscribe link is not valid.\n', 404, NO_STORE);
      throw error;
    }
    return c.text('Unsubscribed.\n', 200, NO_STORE);
  });

  app.post('/webhooks/resend', async (c) => {
    if (!deps.resendWebhookSecret) return c.text('Not found.\n', 404, NO_STORE);
    if (Number(c.req.header('content-length') ?? 0) > MAX_WEBHOOK_BYTES) return c.text('Payload too large.\n', 413, NO_STORE);
    const raw = await c.req.text();
    if (Buffer.byteLength(raw) > MAX_WEBHOOK_BYTES) return c.text('Payload too large.\n', 413, NO_STORE);
    // Resend sends Svix's header names; the Standard Webhooks library reads the unbranded ones. Same scheme.
    const header = (name: string) => c.req.header(`svix-${name}`) ?? c.req.header(`webhook-${name}`) ?? '';
    const headers = { 'webhook-id': header('id'), 'webhook-timestamp': header('timestamp'), 'webhook-signature': header('signature') };
    let payload: { type?: unknown; data?: unknown };
    try {
      payload = new Webhook(deps.resendWebhookSecret).verify(raw, headers) as typeof payload;
    } catch (error) {
      // One answer for a missing header, a stale timestamp or a wrong signature: no hint for a forger.
      if (error instanceof WebhookVerificationError) return c.text('Invalid signature.\n', 401, NO_STORE);
      return c.text('Invalid payload.\n', 400, NO_STORE);
    }
    if (typeof payload?.type !== 'string' || typeof payload.data !== 'object' || payload.data === null) {
      return c.text('Invalid payload.\n', 400, NO_STORE);
    }
    const ctx = { ...deps.ctx(), actor: SYSTEM_ACTOR };
    const webhookId = headers['webhook-id'];
    const result =
      payload.type === 'email.received'
        ? await recordReceivedMail(ctx, { webhookId, data: payload.data as ReceivedMail['data'] })
        : await recordProviderEvent(ctx, { webhookId, type: payload.type, data: payload.data as ProviderEvent['data'] });
    return c.json({ result }, 200, NO_STORE);
  });

  return app;
}
