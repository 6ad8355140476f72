/**
 * The subscriber's side of e-mail alerts: subscribe (double opt-in), confirm, manage, unsubscribe, and the
 * provider's verdicts (bounces, complaints) arriving by webhook.
 *
 * Rules that hold everywhere here:
 * - The public answer to "subscribe" is the same whether the address is new, pending, confirmed or suppressed;
 *   only the mailbox learns which (a confirmation, or an "already subscribed" note with its manage link).
 * - Nothing but the confirmation is sent before confirmation: the delivery engine selects `state = 'confirmed'`.
 * - Links are capabilities (src/mail/links.ts); a bad one is refused with one message, whatever was wrong.
 */
import { and, eq, inArray } from 'drizzle-orm';
import { z } from 'zod';
import { emailMessages, inboundWebhooks, services, subscribers } from '../../db/schema/index.ts';
import { EMAIL_STATES } from '../../db/schema/outbox.ts';
import { enqueueEmail } from '../delivery/enqueue.ts';
import { LOCALES, type Locale } from '../domain/vocab.ts';
import { alreadySubscribedEmail, confirmationEmail } from '../mail/confirmation.ts';
import { CONFIRM_LINK_TTL_MS, type LinkPurpose, getLinkSigner } from '../mail/links.ts';
import { recordAudit } from './audit.ts';
import { type Ctx, inTransaction } from './context.ts';
import { ServiceError, parseInput } from './errors.ts';
import { PER_ADDRESS, PER_IP, RateLimited, addressLimitKey, consumeFormLimit, ipLimitKey } from './form-limits.ts';
import { listVisibleServices } from './read.ts';

export type SubscriberRow = typeof subscribers.$inferSelect;

/** What the manage page shows: never the row's internals (nonce, consent notes). */
export type SubscriptionView = {
  email: string;
  locale: Locale;
  allServices: boolean;
  serviceKeys: string[];
  state: SubscriberRow['state'];
};

const Email = z.string().trim().toLowerCase().max(254, 'at most 254 characters').pipe(z.email('must be an e-mail address'));
const Choice = {
  locale: z.enum(LOCALES, 'must be it or en'),
  allServices: z.boolean('must be true or false'),
  serviceKeys: z.array(z.string().trim().min(1).max(64)).max(100, 'at most 100 services').default([]),
};

export const SubscribeInput = z.object({ email: Email, ...Choice, ip: z.string().max(64).optional() });
export const ResendConfirmationInput = z.object({ email: Email, ip: z.string().max(64).optional() });
export const UpdateSubscriptionInput = z.object(Choice);

const INVALID_LINK = 'This link is not valid or has expired. Subscribe again from the status page to get a new one.';
const invalidLink = () => new ServiceError('validation_failed', INVALID_LINK, { token: 'not valid or expired' });

export async function subscribe(ctx: Ctx, input: z.input<typeof SubscribeInput>): Promise<{ accepted: true }> {
  const data = parseInput(SubscribeInput, input);
  const serviceKeys = await checkedServiceKeys(ctx, data.allServices, data.serviceKeys);
  // Counted once the form is valid: the limit guards what gets sent, and a reader fixing a typo sends nothing.
  if (data.ip) await limitOrThrow(ctx, ipLimitKey('subscribe', data.ip), PER_IP);
  // Over the per-address limit the answer stays the same and nothing is sent: the form must not become a way
  // to flood someone else's mailbox, nor tell anyone that the address was tried before.
  if (!(await consumeFormLimit(ctx, addressLimitKey('subscribe', data.email), PER_ADDRESS)).allowed) return { accepted: true };

  await inTransaction(ctx, async (tx) => {
    await tx.db.insert(subscribers).values({ email: data.email, locale: data.locale, createdAt: tx.now(), updatedAt: tx.now() }).onConflictDoNothing();
    const [current] = await tx.db.select().from(subscribers).where(eq(subscribers.email, data.email)).for('update');
    const row = current!;
    if (row.state === 'suppressed') return; // bounced or complained: mailing it again would only hurt delivery
    if (row.state === 'confirmed') {
      // Preferences change only through the manage link: a stranger typing the address must not alter them.
      const links = await getLinkSigner(tx);
      await sendOneOff(tx, row, 'owner_notice', alreadySubscribedEmail({ locale: row.locale, manageUrl: links.manageUrl(row.id, row.locale) }));
      return;
    }
    const [pending] = await tx.db
      .update(subscribers)
      .set({
        state: 'pending',
        locale: data.locale,
        allServices: data.allServices,
        serviceKeys,
        // A new link makes every earlier confirmation link useless.
        confirmNonce: row.confirmNonce + 1,
        confirmSentAt: tx.now(),
        unsubscribedAt: null,
        updatedAt: tx.now(),
      })
      .where(eq(subscribers.id, row.id))
      .returning();
    await recordAudit(tx, { action: 'subscriber.subscribe', objectType: 'subscriber', objectId: row.id, before: publicFields(row), after: publicFields(pending!) });
    await sendConfirmation(tx, pending!);
  });
  return { accepted: true };
}

/** A new confirmation link for a pending address (the old one stops working); same neutral answer otherwise. */
export async function resendConfirmation(ctx: Ctx, input: z.input<typeof ResendConfirmationInput>): Promise<{ accepted: true }> {
  const data = parseInput(ResendConfirmationInput, input);
  if (data.ip) await limitOrThrow(ctx, ipLimitKey('subscribe', data.ip), PER_IP);
  if (!(await consumeFormLimit(ctx, addressLimitKey('subscribe', data.email), PER_ADDRESS)).allowed) return { accepted: true };
  await inTransaction(ctx, async (tx) => {
    const [row] = await tx.db.select().from(subscribers).where(eq(subscribers.email, data.email)).for('update');
    if (row?.state !== 'pending') return;
    const [next] = await tx.db
      .update(subscribers)
      .set({ confirmNonce: row.confirmNonce + 1, confirmSentAt: tx.now(), updatedAt: tx.now() })
      .where(eq(subscribers.id, row.id))
      .returning();
    await sendConfirmation(tx, next!);
  });
  return { accepted: true };
}

/**
 * Confirms from the e-mailed link. Confirming twice is fine (the second click shows the same result); a link
 * superseded by a newer one, expired or forged is refused. Returns the manage link's token for the next page.
 */
export async function confirm(ctx: Ctx, token: string): Promise<{ subscription: SubscriptionView; manageToken: string }> {
  return inTransaction(ctx, async (tx) => {
    const links = await getLinkSigner(tx);
    const claims = links.verify(token, 'confirm', tx.now());
    if (!claims) throw invalidLink();
    const [row] = await tx.db.select().from(subscribers).where(eq(subscribers.id, claims.subscriberId)).for('update');
    if (!row || row.confirmNonce !== claims.nonce) throw invalidLink();
    let current = row;
    if (row.state === 'pending') {
      const [confirmed] = await tx.db
        .update(subscribers)
        .set({ state: 'confirmed', confirmedAt: tx.now(), updatedAt: tx.now() })
        .where(eq(subscribers.id, row.id))
        .returning();
      current = confirmed!;
      await recordAudit(tx, { action: 'subscriber.confirm', objectType: 'subscriber', objectId: row.id, before: publicFields(row), after: publicFields(current) });
    } else if (row.state !== 'confirmed') {
      // Unsubscribed or suppressed since the link was sent: an old link does not bring the address back.
      throw invalidLink();
    }
    return { subscription: view(current), manageToken: tokenOf(links.manageUrl(row.id, row.locale)) };
  });
}

/** Whether a confirmation link is still good (the page asks before confirming: mail scanners open links). */
export async function checkConfirmLink(ctx: Ctx, token: string): Promise<{ email: string } | null> {
  const claims = (await getLinkSigner(ctx)).verify(token, 'confirm', ctx.now());
  if (!claims) return null;
  const [row] = await ctx.db.select().from(subscribers).where(eq(subscribers.id, claims.subscriberId));
  return row && row.confirmNonce === claims.nonce && (row.state === 'pending' || row.state === 'confirmed') ? { email: row.email } : null;
}

/** The services a reader can choose on the form: those visible now, in catalogue order. */
export async function listSubscribableServices(ctx: Ctx, { locale }: { locale: Locale }): Promise<{ key: string; name: string; nameLocale: Locale }[]> {
  return listVisibleServices(ctx, { locale });
}

/** The manage page's data, from a manage link (or an unsubscribe link, which only reads and leaves). */
export async function getSubscription(ctx: Ctx, token: string, purposes: LinkPurpose[] = ['manage']): Promise<SubscriptionView> {
  const row = await rowFromToken(ctx, token, purposes);
  return view(row);
}

export async function updateSubscription(ctx: Ctx, token: string, input: z.input<typeof UpdateSubscriptionInput>): Promise<SubscriptionView> {
  const data = parseInput(UpdateSubscriptionInput, input);
  const serviceKeys = await checkedServiceKeys(ctx, data.allServices, data.serviceKeys);
  return inTransaction(ctx, async (tx) => {
    const row = await rowFromToken(tx, token, ['manage'], true);
    if (row.state !== 'confirmed' && row.state !== 'pending') {
      throw new ServiceError('conflict', 'This address no longer receives alerts: subscribe again from the status page.');
    }
    const [next] = await tx.db
      .update(subscribers)
      .set({ locale: data.locale, allServices: data.allServices, serviceKeys, updatedAt: tx.now() })
      .where(eq(subscribers.id, row.id))
      .returning();
    await recordAudit(tx, { action: 'subscriber.update', objectType: 'subscriber', objectId: row.id, before: publicFields(row), after: publicFields(next!) });
    return view(next!);
  });
}

/** Stops every alert to the address. Idempotent: a provider may POST the one-click request more than once. */
export async function unsubscribe(ctx: Ctx, token: string): Promise<SubscriptionView> {
  return inTransaction(ctx, async (tx) => {
    const row = await rowFromToken(tx, token, ['unsubscribe', 'manage'], true);
    if (row.state === 'unsubscribed' || row.state === 'suppressed') return view(row);
    const [next] = await tx.db
      .update(subscribers)
      .set({ state: 'unsubscribed', unsubscribedAt: tx.now(), updatedAt: tx.now() })
      .where(eq(subscribers.id, row.id))
      .returning();
    await recordAudit(tx, { action: 'subscriber.unsubscribe', objectType: 'subscriber', objectId: row.id, before: publicFields(row), after: publicFields(next!) });
    return view(next!);
  });
}

/**
 * Never mail the address again (hard bounce, spam complaint). Works on any state, and on an address with no row:
 * nothing to do then. Returns whether a row changed.
 */
export async function suppress(ctx: Ctx, email: string, reason: string): Promise<boolean> {
  const address = parseInput(z.object({ email: Email }), { email }).email;
  return inTransaction(ctx, async (tx) => {
    const [row] = await tx.db.select().from(subscribers).where(eq(subscribers.email, address)).for('update');
    if (!row || row.state === 'suppressed') return false;
    const [next] = await tx.db
      .update(subscribers)
      .set({ state: 'suppressed', suppressedAt: tx.now(), suppressedReason: reason.slice(0, 500), updatedAt: tx.now() })
      .where(eq(subscribers.id, row.id))
      .returning();
    await recordAudit(tx, { action: 'subscriber.suppress', objectType: 'subscriber', objectId: row.id, before: publicFields(row), after: { ...publicFields(next!), reason } });
    return true;
  });
}

// ---------------------------------------------------------------------------------------------------------
// Provider events (Resend webhooks), already verified by the HTTP layer.

export const PROVIDER_EVENT_TYPES = ['email.sent', 'email.delivered', 'email.delivery_delayed', 'email.bounced', 'email.complained', 'email.failed'] as const;

export type ProviderEvent = {
  /** The webhook id (`svix-id`): a redelivery carries the same one. */
  webhookId: string;
  type: string;
  data: { email_id?: string; to?: string[] | string; bounce?: { type?: string; subType?: string; message?: string }; failed?: { reason?: string } };
};

type EmailState = (typeof EMAIL_STATES)[number];
/** A later, weaker report (delivered after bounced, a late "sent") never overwrites a stronger one. */
const STATE_RANK: Record<EmailState, number> = { queued: 0, sent: 1, delivered: 2, failed: 3, bounced: 4, complained: 5 };

/**
 * Applies one provider event: the message's state by provider id, and suppression for a hard bounce or a
 * complaint. Returns 'duplicate' for an id already handled, 'ignored' for events we do not act on.
 */
export async function recordProviderEvent(ctx: Ctx, event: ProviderEvent): Promise<'applied' | 'duplicate' | 'ignored'> {
  return inTransaction(ctx, async (tx) => {
    if (!(await firstDelivery(tx, event.webhookId))) return 'duplicate';

    const hardBounce = event.type === 'email.bounced' && (event.data.bounce?.type ?? 'Permanent').toLowerCase() === 'permanent';
    const next: EmailState | null =
      event.type === 'email.delivered' ? 'delivered'
      : event.type === 'email.complained' ? 'complained'
      : event.type === 'email.failed' ? 'failed'
      : event.type === 'email.bounced' ? (hardBounce ? 'bounced' : null)
      : null;
    if (!next) return 'ignored';

    const error = event.data.bounce?.message ?? event.data.failed?.reason ?? null;
    if (event.data.email_id) {
      const lower = (Object.keys(STATE_RANK) as EmailState[]).filter((s) => STATE_RANK[s] < STATE_RANK[next]);
      await tx.db
        .update(emailMessages)
        .set({ state: next, updatedAt: tx.now(), ...(error ? { error: error.slice(0, 1000) } : {}) })
        .where(and(eq(emailMessages.providerId, event.data.email_id), inArray(emailMessages.state, lower)));
    }
    if (next === 'bounced' || next === 'complained') {
      const recipients = addressList(event.data.to);
      const fromMessage = event.data.email_id
        ? await tx.db.select({ email: emailMessages.email }).from(emailMessages).where(eq(emailMessages.providerId, event.data.email_id))
        : [];
      const addresses = new Set([...recipients, ...fromMessage.map((m) => m.email)].map((a) => a.trim().toLowerCase()));
      for (const address of addresses) {
        if (z.email().safeParse(address).success) await suppress(tx, address, next === 'bounced' ? `hard bounce: ${error ?? ''}`.trim() : 'spam complaint');
      }
    }
    return 'applied';
  });
}

/** An e-mail Resend received for the site's domain (`email.received`): metadata only, no body. */
export type ReceivedMail = { webhookId: string; data: { to?: string[] | string; subject?: string } };

/** The signed token after "unsubscribe" in a subject, whatever a mail client put before it ("Re:", "[EXT]"). */
const UNSUBSCRIBE_SUBJECT = /\bunsubscribe\s+([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)/i;

/**
 * The `mailto:` half of every alert's List-Unsubscribe: a mail client that unsubscribes by e-mail writes to
 * `unsubscribe@{site host}` with the subject "unsubscribe {token}", the same signed token as the https link.
 * Received by Resend (the site host's MX pointed at it) and posted here as `email.received`, it unsubscribes as
 * the link does. Anything else the domain receives, or a token that does not verify, is ignored.
 */
export async function recordReceivedMail(ctx: Ctx, mail: ReceivedMail): Promise<'applied' | 'duplicate' | 'ignored'> {
  return inTransaction(ctx, async (tx) => {
    if (!(await firstDelivery(tx, mail.webhookId))) return 'duplicate';
    const recipients = addressList(mail.data.to);
    // "Name <unsubscribe@host>" or the bare address.
    if (!recipients.some((r) => /(^|<)\s*unsubscribe@/i.test(r.trim()))) return 'ignored';
    const token = UNSUBSCRIBE_SUBJECT.exec(mail.data.subject ?? '')?.[1];
    if (!token) return 'ignored';
    try {
      await unsubscribe(tx, token);
    } catch (error) {
      if (error instanceof ServiceError) return 'ignored';
      throw error;
    }
    return 'applied';
  });
}

/** A provider's `to`: one address or a list. */
const addressList = (to: string[] | string | undefined): string[] => (Array.isArray(to) ? to : to ? [to] : []);

/** Records a provider webhook's id; false when it was recorded before (a redelivery). */
async function firstDelivery(tx: Ctx, webhookId: string): Promise<boolean> {
  const inserted = await tx.db
    .insert(inboundWebhooks)
    .values({ id: `resend:${webhookId}`, source: 'resend', receivedAt: tx.now() })
    .onConflictDoNothing()
    .returning({ id: inboundWebhooks.id });
  return inserted.length > 0;
}

// ---------------------------------------------------------------------------------------------------------

async function limitOrThrow(ctx: Ctx, key: string, limit: typeof PER_IP) {
  const result = await consumeFormLimit(ctx, key, limit);
  if (!result.allowed) throw new RateLimited(result.retryAfterSeconds);
}

/** The chosen keys, sorted and de-duplicated; unknown keys are named in the error. */
async function checkedServiceKeys(ctx: Ctx, allServices: boolean, keys: string[]): Promise<string[]> {
  if (allServices) return [];
  const wanted = [...new Set(keys)].sort();
  if (wanted.length === 0) {
    throw new ServiceError('validation_failed', 'Choose at least one service, or all services.', { serviceKeys: 'choose at least one service' });
  }
  const known = await ctx.db.select({ key: services.key }).from(services).where(inArray(services.key, wanted));
  const unknown = wanted.filter((k) => !known.some((r) => r.key === k));
  if (unknown.length) {
    throw new ServiceError('validation_failed', `Unknown service: ${unknown.join(', ')}.`, { serviceKeys: `unknown service: ${unknown.join(', ')}` });
  }
  return wanted;
}

async function rowFromToken(ctx: Ctx, token: string, purposes: LinkPurpose[], forUpdate = false): Promise<SubscriberRow> {
  const claims = (await getLinkSigner(ctx)).verify(token, purposes, ctx.now());
  if (!claims) throw invalidLink();
  const query = ctx.db.select().from(subscribers).where(eq(subscribers.id, claims.subscriberId));
  const [row] = forUpdate ? await query.for('update') : await query;
  if (!row) throw invalidLink();
  return row;
}

async function sendConfirmation(tx: Ctx, row: SubscriberRow) {
  const links = await getLinkSigner(tx);
  const issuedAt = row.confirmSentAt ?? tx.now();
  const content = confirmationEmail({
    locale: row.locale,
    confirmUrl: links.confirmUrl(row, row.locale, issuedAt),
    expiresAt: new Date(issuedAt.getTime() + CONFIRM_LINK_TTL_MS),
    timeZone: tx.timeZone,
  });
  await sendOneOff(tx, row, 'confirm', content);
}

async function sendOneOff(tx: Ctx, row: SubscriberRow, kind: 'confirm' | 'owner_notice', content: Awaited<ReturnType<typeof confirmationEmail>>) {
  await enqueueEmail(tx, { kind, to: row.email, locale: row.locale, subscriberId: row.id, content });
}

function tokenOf(url: string): string {
  return url.slice(url.lastIndexOf('/') + 1);
}

function view(row: SubscriberRow): SubscriptionView {
  return { email: row.email, locale: row.locale, allServices: row.allServices, serviceKeys: row.serviceKeys, state: row.state };
}

/** What the audit log keeps of a subscriber: the choice and the state, not the address. */
function publicFields(row: SubscriberRow) {
  return { state: row.state, locale: row.locale, allServices: row.allServices, serviceKeys: row.serviceKeys };
}
