/**
 * Partner webhooks: endpoints registered by operators (active at once) or by partners themselves (pending until
 * the owner confirms through a signed e-mail link), their secrets, state, test messages and delivery log.
 * Sending is the delivery worker's job (src/webhooks); this module only writes rows.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { and, desc, eq, lt, or } from 'drizzle-orm';
import { z } from 'zod';
import { appSecrets, outbox, webhookDeliveries, webhookEndpoints } from '../../db/schema/index.ts';
import { newId } from '../../db/ids.ts';
import { requeueJobs } from '../delivery/outbox.ts';
import { LOCALES, type Locale } from '../domain/vocab.ts';
import { TargetRefused, assertPublicTarget } from '../webhooks/address.ts';
import { TEST_EVENT_PREFIX, TEST_EVENT_TYPE } from '../webhooks/deliver.ts';
import { sendConfirmation } from '../webhooks/owner-mail.ts';
import { EVENT_FILTERS, isEventFilter } from '../webhooks/patterns.ts';
import { webhookPolicy } from '../webhooks/policy.ts';
import { newWebhookSecret } from '../webhooks/signing.ts';
import { recordAudit } from './audit.ts';
import { type Ctx, inTransaction } from './context.ts';
import { ServiceError, notFound, parseInput } from './errors.ts';
import { type FormLimit, RateLimited, addressLimitKey, consumeFormLimit, ipLimitKey } from './form-limits.ts';
import { authorize } from './permissions.ts';

export type WebhookEndpointRow = typeof webhookEndpoints.$inferSelect;
export type WebhookDeliveryRow = typeof webhookDeliveries.$inferSelect;
/** An endpoint as lists and logs show it: never the secret. */
export type WebhookEndpointView = Omit<WebhookEndpointRow, 'secret' | 'confirmNonce'>;

export { EVENT_FILTERS as WEBHOOK_EVENT_FILTERS };

/** Self-service registrations allowed per client address and per owner address in one hour. */
export const REGISTER_LIMITS: { perIp: FormLimit; perOwner: FormLimit } = {
  perIp: { limit: 5, windowMs: 3_600_000 },
  perOwner: { limit: 3, windowMs: 3_600_000 },
};

const WebhookUrl = z.string().trim().min(1, 'must not be empty').max(2000, 'at most 2000 characters').pipe(z.url('must be a URL'));
const Events = z
  .array(z.string().trim().refine(isEventFilter, { message: `must be one of ${EVENT_FILTERS.join(', ')}` }))
  .min(1, 'choose at least one event')
  .max(EVENT_FILTERS.length)
  .transform((list) => [...new Set(list)]);
const OwnerEmail = z.string().trim().toLowerCase().pipe(z.email('must be an e-mail address')).pipe(z.string().max(254));

const Description = z.string().trim().max(200, 'at most 200 characters');

export const CreateWebhookInput = z.object({
  url: WebhookUrl,
  events: Events,
  ownerEmail: OwnerEmail,
  locale: z.enum(LOCALES).default('it'),
  description: Description.default(''),
});

export const RegisterWebhookInput = CreateWebhookInput.omit({ description: true }).extend({
  /** The client's address, for the rate limit (set by the page, not by the form). */
  clientIp: z.string().min(1).max(100),
});

const IdInput = z.object({ id: z.string().min(1, 'must not be empty').max(64) });
const ConfirmInput = z.object({ id: z.string().max(64), nonce: z.coerce.number().int(), sig: z.string().max(200) });
const ListDeliveriesInput = z.object({
  id: z.string().min(1).max(64),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  /** Delivery id to continue after (older ones). */
  before: z.string().max(64).optional(),
});

const view = ({ secret: _secret, confirmNonce: _nonce, ...rest }: WebhookEndpointRow): WebhookEndpointView => rest;

/**
 * Refuses what we must not send to: non-HTTPS (unless the private-target setting is on, for local tests), a URL
 * with credentials, and hosts on private, loopback, link-local or reserved addresses. Errors name the `url` field.
 */
export async function checkWebhookTarget(raw: string): Promise<void> {
  const url = new URL(raw);
  const { allowPrivate } = webhookPolicy();
  const refuse = (why: string) => new ServiceError('validation_failed', `The webhook URL is refused: ${why}.`, { url: why });
  if (url.protocol !== 'https:' && !(allowPrivate && url.protocol === 'http:')) throw refuse('must start with https://');
  if (url.username || url.password) throw refuse('must not contain a user name or password');
  if (allowPrivate) return;
  try {
    await assertPublicTarget(url);
  } catch (error) {
    if (error instanceof TargetRefused) throw refuse(error.message);
    throw error;
  }
}

/**
 * What an operator may change on an endpoint, each field only when given (no defaults: a missing language must not
 * reset it). The owner's address stays: a self-service owner confirmed it.
 */
export const UpdateWebhookInput = z.object({
  url: WebhookUrl.optional(),
  events: Events.optional(),
  locale: z.enum(LOCALES).optional(),
  description: Description.optional(),
});

/** An operator registers a partner's endpoint: active at once. Returns the secret to hand over. */
export async function createWebhook(ctx: Ctx, input: z.input<typeof CreateWebhookInput>) {
  authorize(ctx.actor, 'admin');
  const data = parseInput(CreateWebhookInput, input);
  await checkWebhookTarget(data.url);
  return inTransaction(ctx, async (tx) => {
    const now = tx.now();
    const [row] = await tx.db
      .insert(webhookEndpoints)
      .values({
        ...data,
        secret: newWebhookSecret(),
        state: 'active',
        createdBy: ctx.actor.kind === 'operator' ? ctx.actor.id : null,
        createdAt: now,
        updatedAt: now,
      })
      .returning();
    await recordAudit(tx, { action: 'webhook.create', objectType: 'webhook_endpoint', objectId: row!.id, after: view(row!) });
    return { endpoint: view(row!), secret: row!.secret };
  });
}

/**
 * The public self-service form: the endpoint stays `pending` (nothing is sent to it) until the owner follows the
 * link e-mailed to them. Rate limited per client address and per owner address, so the form cannot be used to
 * flood someone's mailbox.
 */
export async function registerWebhook(ctx: Ctx, input: z.input<typeof RegisterWebhookInput>): Promise<{ id: string }> {
  const { clientIp, ...data } = parseInput(RegisterWebhookInput, input);
  // Counted outside the work's transaction and before the target is checked: refused attempts count too, so
  // the form can be used neither to flood a mailbox nor to probe host names without limit.
  for (const [key, limit] of [
    [ipLimitKey('webhook-register', clientIp), REGISTER_LIMITS.perIp],
    [addressLimitKey('webhook-register', data.ownerEmail), REGISTER_LIMITS.perOwner],
  ] as const) {
    const verdict = await consumeFormLimit(ctx, key, limit);
    if (!verdict.allowed) throw new RateLimited(verdict.retryAfterSeconds);
  }
  await checkWebhookTarget(data.url);
  return inTransaction(ctx, async (tx) => {
    const now = tx.now();
    const [row] = await tx.db
      .insert(webhookEndpoints)
      .values({ ...data, secret: newWebhookSecret(), state: 'pending', selfService: true, confirmNonce: 1, createdAt: now, updatedAt: now })
      .returning();
    const key = await linkKey(tx);
    await sendConfirmation(tx, row!, (locale) => confirmLink(tx.siteUrl, locale, row!.id, row!.confirmNonce, key));
    await recordAudit(tx, { action: 'webhook.register', objectType: 'webhook_endpoint', objectId: row!.id, after: view(row!) });
    return { id: row!.id };
  });
}

/** The link in the confirmation e-mail. Signed, so ids cannot be guessed into confirmations. */
export function confirmLink(siteUrl: string, locale: Locale, id: string, nonce: number, key: string): string {
  const query = new URLSearchParams({ id, n: String(nonce), sig: linkSignature(key, id, nonce) });
  return `${siteUrl}${locale === 'it' ? '' : `/${locale}`}/webhooks/confirm?${query}`;
}

const INVALID_LINK = 'This confirmation link is not valid. Register the webhook again to get a new one.';

/**
 * The owner follows the e-mailed link: the endpoint becomes active and its secret is shown (the owner needs it to
 * verify signatures). Any wrong part of the link gets the same answer. Following it again shows the secret again
 * as long as the endpoint is active; a disabled endpoint is enabled only by an operator.
 */
export async function confirmWebhook(ctx: Ctx, input: { id: string; nonce: string | number; sig: string }) {
  const parsed = ConfirmInput.safeParse(input);
  if (!parsed.success) throw new ServiceError('forbidden', INVALID_LINK);
  const { id, nonce, sig } = parsed.data;
  return inTransaction(ctx, async (tx) => {
    const key = await linkKey(tx);
    const expected = Buffer.from(linkSignature(key, id, nonce));
    const given = Buffer.from(sig);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) throw new ServiceError('forbidden', INVALID_LINK);
    const [row] = await tx.db.select().from(webhookEndpoints).where(eq(webhookEndpoints.id, id)).for('update');
    if (!row || row.confirmNonce !== nonce || row.state === 'disabled') throw new ServiceError('forbidden', INVALID_LINK);
    if (row.state === 'active') return { endpoint: view(row), secret: row.secret };
    const [updated] = await tx.db
      .update(webhookEndpoints)
      .set({ state: 'active', updatedAt: tx.now() })
      .where(eq(webhookEndpoints.id, id))
      .returning();
    await recordAudit({ ...tx, actor: { kind: 'public', id: row.ownerEmail } }, {
      action: 'webhook.confirm',
      objectType: 'webhook_endpoint',
      objectId: id,
      before: { state: row.state },
      after: { state: 'active' },
    });
    return { endpoint: view(updated!), secret: updated!.secret };
  });
}

export async function listWebhooks(ctx: Ctx): Promise<WebhookEndpointView[]> {
  authorize(ctx.actor, 'admin');
  const rows = await ctx.db.select().from(webhookEndpoints).orderBy(desc(webhookEndpoints.createdAt), desc(webhookEndpoints.id));
  return rows.map(view);
}

/** One endpoint with its secret (administrators only: whoever holds it can forge our messages to the partner). */
export async function getWebhook(ctx: Ctx, input: { id: string }) {
  authorize(ctx.actor, 'admin');
  const { id } = parseInput(IdInput, input);
  const [row] = await ctx.db.select().from(webhookEndpoints).where(eq(webhookEndpoints.id, id));
  if (!row) throw notFound('webhook endpoint', id);
  return { endpoint: view(row), secret: row.secret };
}

/** A new secret at once; the old one stops verifying with the next message. */
export async function rotateWebhookSecret(ctx: Ctx, input: { id: string }) {
  authorize(ctx.actor, 'admin');
  const { id } = parseInput(IdInput, input);
  return inTransaction(ctx, async (tx) => {
    const [row] = await tx.db
      .update(webhookEndpoints)
      .set({ secret: newWebhookSecret(), updatedAt: tx.now() })
      .where(eq(webhookEndpoints.id, id))
      .returning();
    if (!row) throw notFound('webhook endpoint', id);
    await recordAudit(tx, { action: 'webhook.rotate_secret', objectType: 'webhook_endpoint', objectId: id });
    return { endpoint: view(row), secret: row.secret };
  });
}

/**
 * Enables (also confirms a pending self-service endpoint, and forgets past failures) or disables. Deliveries
 * still pending for a disabled endpoint are settled as failed when their turn comes, not sent.
 */
export async function setWebhookEnabled(ctx: Ctx, input: { id: string; enabled: boolean }): Promise<WebhookEndpointView> {
  authorize(ctx.actor, 'admin');
  const { id, enabled } = parseInput(IdInput.extend({ enabled: z.boolean() }), input);
  return inTransaction(ctx, async (tx) => {
    const [current] = await tx.db.select().from(webhookEndpoints).where(eq(webhookEndpoints.id, id)).for('update');
    if (!current) throw notFound('webhook endpoint', id);
    const now = tx.now();
    const change = enabled
      ? { state: 'active' as const, consecutiveFailures: 0, failingSince: null, disabledAt: null, disabledReason: null, updatedAt: now }
      : { state: 'disabled' as const, disabledAt: now, disabledReason: 'operator', updatedAt: now };
    const [row] = await tx.db.update(webhookEndpoints).set(change).where(eq(webhookEndpoints.id, id)).returning();
    await recordAudit(tx, {
      action: enabled ? 'webhook.enable' : 'webhook.disable',
      objectType: 'webhook_endpoint',
      objectId: id,
      before: { state: current.state },
      after: { state: row!.state },
    });
    return view(row!);
  });
}

/**
 * Changes the URL, events, language or description, keeping the secret and the delivery log: the partner moved
 * its receiver, or wants other events, without having to configure a new secret. A new URL is checked as at
 * registration. Deliveries still pending go to the new URL.
 */
export async function updateWebhook(ctx: Ctx, input: { id: string } & z.input<typeof UpdateWebhookInput>): Promise<WebhookEndpointView> {
  authorize(ctx.actor, 'admin');
  const { id } = parseInput(IdInput, { id: input.id });
  const { id: _id, ...fields } = input;
  const change = parseInput(UpdateWebhookInput, fields);
  if (change.url !== undefined) await checkWebhookTarget(change.url);
  return inTransaction(ctx, async (tx) => {
    const [current] = await tx.db.select().from(webhookEndpoints).where(eq(webhookEndpoints.id, id)).for('update');
    if (!current) throw notFound('webhook endpoint', id);
    const [row] = await tx.db
      .update(webhookEndpoints)
      .set({ ...change, updatedAt: tx.now() })
      .where(eq(webhookEndpoints.id, id))
      .returning();
    await recordAudit(tx, { action: 'webhook.update', objectType: 'webhook_endpoint', objectId: id, before: view(current), after: view(row!) });
    return view(row!);
  });
}

/**
 * Sends failed deliveries again: one from the log, or every failed one the log still holds (what the partner
 * missed while its receiver was down, once it is fixed and the endpoint enabled again). Each goes out under its
 * first `webhook-id`, so a receiver that did get it after all drops the copy. Retries follow what is left of the
 * usual schedule, counted from the event: an old delivery gets one attempt. Returns the deliveries queued.
 */
export async function redeliverWebhooks(ctx: Ctx, input: { id: string; deliveryId?: string }): Promise<WebhookDeliveryRow[]> {
  authorize(ctx.actor, 'admin');
  const { id, deliveryId } = parseInput(IdInput.extend({ deliveryId: z.string().min(1).max(64).optional() }), input);
  return inTransaction(ctx, async (tx) => {
    const [endpoint] = await tx.db.select().from(webhookEndpoints).where(eq(webhookEndpoints.id, id));
    if (!endpoint) throw notFound('webhook endpoint', id);
    if (endpoint.state !== 'active') {
      throw new ServiceError('conflict', `The endpoint is ${endpoint.state}: enable it before sending again.`, { id: `endpoint is ${endpoint.state}` });
    }
    const which = and(
      eq(webhookDeliveries.endpointId, id),
      eq(webhookDeliveries.state, 'failed'),
      deliveryId ? eq(webhookDeliveries.id, deliveryId) : undefined,
    );
    const failed = await tx.db.select({ id: webhookDeliveries.id }).from(webhookDeliveries).where(which).for('update');
    if (deliveryId && failed.length === 0) {
      throw new ServiceError('conflict', 'Only a failed delivery of this endpoint can be sent again.', { deliveryId: 'not a failed delivery of this endpoint' });
    }
    if (failed.length === 0) return [];
    const queued = await tx.db.update(webhookDeliveries).set({ state: 'pending' }).where(which).returning();
    await requeueJobs(tx, 'webhook.delivery', queued.map((d) => d.id));
    await recordAudit(tx, { action: 'webhook.redeliver', objectType: 'webhook_endpoint', objectId: id, after: { deliveries: queued.length, ...(deliveryId ? { deliveryId } : {}) } });
    return queued;
  });
}

/** Deletes the endpoint and its delivery log; jobs still queued for it find nothing and end. */
export async function deleteWebhook(ctx: Ctx, input: { id: string }): Promise<WebhookEndpointView> {
  authorize(ctx.actor, 'admin');
  const { id } = parseInput(IdInput, input);
  return inTransaction(ctx, async (tx) => {
    const [row] = await tx.db.delete(webhookEndpoints).where(eq(webhookEndpoints.id, id)).returning();
    if (!row) throw notFound('webhook endpoint', id);
    await recordAudit(tx, { action: 'webhook.delete', objectType: 'webhook_endpoint', objectId: id, before: view(row) });
    return view(row);
  });
}

/** Queues a `webhook.test` message to the endpoint (not part of the public event stream), signed like any other. */
export async function sendTestWebhook(ctx: Ctx, input: { id: string }): Promise<WebhookDeliveryRow> {
  authorize(ctx.actor, 'admin');
  const { id } = parseInput(IdInput, input);
  return inTransaction(ctx, async (tx) => {
    const [endpoint] = await tx.db.select().from(webhookEndpoints).where(eq(webhookEndpoints.id, id));
    if (!endpoint) throw notFound('webhook endpoint', id);
    if (endpoint.state !== 'active') {
      throw new ServiceError('conflict', `The endpoint is ${endpoint.state}: enable it before sending a test.`, { id: `endpoint is ${endpoint.state}` });
    }
    const now = tx.now();
    const [delivery] = await tx.db
      .insert(webhookDeliveries)
      .values({ endpointId: id, eventId: `${TEST_EVENT_PREFIX}${newId()}`, eventType: TEST_EVENT_TYPE, createdAt: now })
      .returning();
    await tx.db.insert(outbox).values({ kind: 'webhook.delivery', subjectId: delivery!.id, runAt: now });
    await recordAudit(tx, { action: 'webhook.test', objectType: 'webhook_endpoint', objectId: id, after: { delivery: delivery!.id } });
    return delivery!;
  });
}

/** The endpoint's deliveries, newest first, each with its attempt log. */
export async function listWebhookDeliveries(
  ctx: Ctx,
  input: z.input<typeof ListDeliveriesInput>,
): Promise<{ items: WebhookDeliveryRow[]; nextCursor: string | null }> {
  authorize(ctx.actor, 'admin');
  const data = parseInput(ListDeliveriesInput, input);
  const [endpoint] = await ctx.db.select({ id: webhookEndpoints.id }).from(webhookEndpoints).where(eq(webhookEndpoints.id, data.id));
  if (!endpoint) throw notFound('webhook endpoint', data.id);
  let cursor: { createdAt: Date; id: string } | undefined;
  if (data.before) {
    const [c] = await ctx.db
      .select({ createdAt: webhookDeliveries.createdAt, id: webhookDeliveries.id })
      .from(webhookDeliveries)
      .where(and(eq(webhookDeliveries.id, data.before), eq(webhookDeliveries.endpointId, data.id)));
    if (!c) throw new ServiceError('validation_failed', 'The page cursor is not valid: start again from the first page.', { before: 'not a delivery of this endpoint' });
    cursor = c;
  }
  const rows = await ctx.db
    .select()
    .from(webhookDeliveries)
    .where(
      and(
        eq(webhookDeliveries.endpointId, data.id),
        cursor
          ? or(lt(webhookDeliveries.createdAt, cursor.createdAt), and(eq(webhookDeliveries.createdAt, cursor.createdAt), lt(webhookDeliveries.id, cursor.id)))
          : undefined,
      ),
    )
    .orderBy(desc(webhookDeliveries.createdAt), desc(webhookDeliveries.id))
    .limit(data.limit + 1);
  const items = rows.slice(0, data.limit);
  return { items, nextCursor: rows.length > data.limit ? items[items.length - 1]!.id : null };
}

/** The installation's key for webhook confirmation links, made on first use and shared by every instance. */
async function linkKey(tx: Ctx): Promise<string> {
  const name = 'webhook_confirm_links';
  await tx.db.insert(appSecrets).values({ name, value: newWebhookSecret() }).onConflictDoNothing({ target: appSecrets.name });
  const [row] = await tx.db.select().from(appSecrets).where(eq(appSecrets.name, name));
  return row!.value;
}

function linkSignature(key: string, id: string, nonce: number): string {
  return createHmac('sha256', key).update(`webhook-confirm:${id}:${nonce}`).digest('base64url');
}
