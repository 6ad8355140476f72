/**
 * The operators' side of subscriptions: find subscribers, count them, export and import the list, and remove
 * or suppress one address.
 *
 * Who may do what. Subscriber addresses are personal data, so the list follows least privilege rather than the
 * console's usual "everyone reads": viewers see only the counts; editors (who publish the alerts) may look
 * people up and remove or suppress one address when asked; moving the whole list in or out of the system
 * (import, export) is for administrators.
 */
import { createHash } from 'node:crypto';
import { and, asc, count, desc, eq, gt, ilike, inArray, or, sql } from 'drizzle-orm';
import { z } from 'zod';
import { emailMessages, services, subscribers } from '../../db/schema/index.ts';
import { newId } from '../../db/ids.ts';
import { SUBSCRIBER_STATES } from '../../db/schema/subscribers.ts';
import { ALL_SERVICES_MARK, CsvFileError, EXPORT_COLUMNS, csvChunk, parseSubscriberCsv } from '../domain/subscriber-csv.ts';
import { LOCALES, type Locale } from '../domain/vocab.ts';
import { recordAudit } from './audit.ts';
import { type Ctx, inTransaction } from './context.ts';
import { ServiceError, notFound, parseInput } from './errors.ts';
import { listEvents } from './events.ts';
import { ServiceKey } from './inputs.ts';
import { authorize } from './permissions.ts';
import { type OneOffEmail, enqueueEmails } from '../delivery/enqueue.ts';
import { type DeliveryStats, deliveryStats, listMail } from '../delivery/stats.ts';
import { confirmationEmail } from '../mail/confirmation.ts';
import { CONFIRM_LINK_TTL_MS, type LinkSigner, getLinkSigner } from '../mail/links.ts';

export type SubscriberRow = typeof subscribers.$inferSelect;
/** Re-exported for the pages, which may not import the schema. */
export { SUBSCRIBER_STATES };
export type { DeliveryStats };
export type SubscriberState = (typeof SUBSCRIBER_STATES)[number];

/** Larger files are split by the operator: one import is one transaction and one page of report. */
export const IMPORT_MAX_ROWS = 10_000;
/** Under the server's 1 MiB request limit (src/http/body-limit.ts), with room for the rest of the multipart form. */
export const IMPORT_MAX_BYTES = 900 * 1024;
const EXPORT_PAGE = 1_000;

const Email = z.string().trim().toLowerCase().max(254).pipe(z.email());

// ---------------------------------------------------------------------------------------------------------
// Search and counts

const ListSubscribersInput = z.object({
  q: z.string().trim().max(254).optional().transform((v) => v || undefined),
  state: z.enum(SUBSCRIBER_STATES).optional(),
  service: ServiceKey.optional(),
  locale: z.enum(LOCALES).optional(),
  page: z.coerce.number().int().min(1).max(1_000_000).default(1),
  pageSize: z.coerce.number().int().min(1).max(200).default(50),
});
export type ListSubscribersFilter = z.input<typeof ListSubscribersInput>;

/** `%` and `_` typed into the search box are looked for literally, not as wildcards. */
const likeFragment = (q: string) => `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/** Subscribers who receive alerts about `key`: those following every service, and those who chose it. */
const followsService = (key: string) =>
  or(eq(subscribers.allServices, true), sql`${subscribers.serviceKeys} @> ${JSON.stringify([key])}::jsonb`);

function filterWhere(f: z.output<typeof ListSubscribersInput>) {
  return and(
    f.q ? ilike(subscribers.email, likeFragment(f.q.toLowerCase())) : undefined,
    f.state ? eq(subscribers.state, f.state) : undefined,
    f.locale ? eq(subscribers.locale, f.locale) : undefined,
    f.service ? followsService(f.service) : undefined,
  );
}

/** One page of subscribers matching the filter, newest first, with the total for the pager. */
export async function listSubscribers(
  ctx: Ctx,
  input: ListSubscribersFilter = {},
): Promise<{ items: SubscriberRow[]; total: number; page: number; pages: number; pageSize: number }> {
  authorize(ctx.actor, 'write');
  const f = parseInput(ListSubscribersInput, input);
  const where = filterWhere(f);
  const [{ total } = { total: 0 }] = await ctx.db.select({ total: count() }).from(subscribers).where(where);
  const items = await ctx.db
    .select()
    .from(subscribers)
    .where(where)
    .orderBy(desc(subscribers.createdAt), desc(subscribers.id))
    .limit(f.pageSize)
    .offset((f.page - 1) * f.pageSize);
  return { items, total, page: f.page, pages: Math.max(1, Math.ceil(total / f.pageSize)), pageSize: f.pageSize };
}

export type SubscriberCounts = {
  total: number;
  byState: Record<SubscriberState, number>;
  /** Confirmed subscribers only: the people an alert would reach now. */
  byLanguage: Record<Locale, number>;
  /** Confirmed subscribers following every service (they are also counted in each `byService` row). */
  allServices: number;
  /** Confirmed subscribers an alert about each service reaches, in catalogue order. */
  byService: { key: string; name: { it: string; en?: string }; count: number }[];
};

export async function subscriberCounts(ctx: Ctx): Promise<SubscriberCounts> {
  authorize(ctx.actor, 'read');
  const byState = Object.fromEntries(SUBSCRIBER_STATES.map((s) => [s, 0])) as Record<SubscriberState, number>;
  for (const row of await ctx.db.select({ state: subscribers.state, n: count() }).from(subscribers).groupBy(subscribers.state)) {
    byState[row.state] = row.n;
  }
  const byLanguage = Object.fromEntries(LOCALES.map((l) => [l, 0])) as Record<Locale, number>;
  const confirmed = eq(subscribers.state, 'confirmed');
  for (const row of await ctx.db
    .select({ locale: subscribers.locale, n: count() })
    .from(subscribers)
    .where(confirmed)
    .groupBy(subscribers.locale)) {
    byLanguage[row.locale] = row.n;
  }
  const [{ n: allServices } = { n: 0 }] = await ctx.db
    .select({ n: count() })
    .from(subscribers)
    .where(and(confirmed, eq(subscribers.allServices, true)));
  // One pass over the catalogue with a correlated count each: the GIN index on service_keys serves the `@>`.
  const byService = await ctx.db
    .select({
      key: services.key,
      name: services.name,
      count: sql<number>`(select count(*)::int from ${subscribers} s where s.state = 'confirmed'
        and (s.all_services or s.service_keys @> jsonb_build_array(${services.key})))`,
    })
    .from(services)
    .orderBy(asc(services.sortOrder), asc(services.key));
  const total = Object.values(byState).reduce((a, b) => a + b, 0);
  return { total, byState, byLanguage, allServices, byService: byService.map((s) => ({ ...s, count: Number(s.count) })) };
}

// ---------------------------------------------------------------------------------------------------------
// One subscriber

const SubscriberIdInput = z.object({ subscriberId: z.string().trim().min(1).max(64) });

export type SubscriberDetail = {
  subscriber: SubscriberRow;
  /** The latest e-mails to this address (alerts and confirmations), newest first. */
  messages: { id: string; kind: string; state: string; createdAt: Date; sentAt: Date | null; error: string | null }[];
};

export async function getSubscriber(ctx: Ctx, input: { subscriberId: string }): Promise<SubscriberDetail> {
  authorize(ctx.actor, 'write');
  const { subscriberId } = parseInput(SubscriberIdInput, input);
  const [subscriber] = await ctx.db.select().from(subscribers).where(eq(subscribers.id, subscriberId));
  if (!subscriber) throw notFound('subscriber', subscriberId);
  const messages = await ctx.db
    .select({
      id: emailMessages.id,
      kind: emailMessages.kind,
      state: emailMessages.state,
      createdAt: emailMessages.createdAt,
      sentAt: emailMessages.sentAt,
      error: emailMessages.error,
    })
    .from(emailMessages)
    .where(eq(emailMessages.subscriberId, subscriberId))
    .orderBy(desc(emailMessages.createdAt))
    .limit(20);
  return { subscriber, messages };
}

const SuppressInput = SubscriberIdInput.extend({ reason: z.string().trim().min(3).max(500) });

/**
 * Stops every e-mail to the address for good: unlike an unsubscribe, a suppressed address is not brought back
 * by a later import or sign-up. For addresses that bounce, complain by other channels, or ask by phone.
 */
export async function suppressSubscriber(ctx: Ctx, input: { subscriberId: string; reason: string }): Promise<SubscriberRow> {
  authorize(ctx.actor, 'write');
  const data = parseInput(SuppressInput, input);
  return inTransaction(ctx, async (tx) => {
    const [before] = await tx.db.select().from(subscribers).where(eq(subscribers.id, data.subscriberId)).for('update');
    if (!before) throw notFound('subscriber', data.subscriberId);
    const now = tx.now();
    const [after] = await tx.db
      .update(subscribers)
      .set({ state: 'suppressed', suppressedAt: now, suppressedReason: `operator: ${data.reason}`, updatedAt: now })
      .where(eq(subscribers.id, data.subscriberId))
      .returning();
    await recordAudit(tx, {
      action: 'subscriber.suppress',
      objectType: 'subscriber',
      objectId: data.subscriberId,
      before: { state: before.state },
      after: { state: 'suppressed', reason: data.reason },
    });
    return after!;
  });
}

/**
 * Erases the address (a person's request to be forgotten). The audit row keeps the id and the domain only, so
 * the log does not become a second copy of the list.
 */
export async function removeSubscriber(ctx: Ctx, input: { subscriberId: string }): Promise<void> {
  authorize(ctx.actor, 'write');
  const { subscriberId } = parseInput(SubscriberIdInput, input);
  await inTransaction(ctx, async (tx) => {
    const [gone] = await tx.db.delete(subscribers).where(eq(subscribers.id, subscriberId)).returning();
    if (!gone) throw notFound('subscriber', subscriberId);
    await recordAudit(tx, {
      action: 'subscriber.remove',
      objectType: 'subscriber',
      objectId: subscriberId,
      before: { domain: gone.email.split('@').pop(), state: gone.state, source: gone.source },
    });
  });
}

// ---------------------------------------------------------------------------------------------------------
// Export

const iso = (d: Date | null) => (d ? d.toISOString() : '');

function exportRow(s: SubscriberRow): string[] {
  return [
    s.email,
    s.locale,
    s.allServices ? ALL_SERVICES_MARK : s.serviceKeys.join(' '),
    s.state,
    s.consent,
    s.source,
    iso(s.createdAt),
    iso(s.confirmedAt),
  ];
}

/**
 * The list (or the filtered part of it) as CSV, produced a page at a time in id order (keyset pagination), so a
 * large list streams with flat memory. Authorization and the filter are checked before the first chunk, so an
 * error is an error response and never a half-written file.
 */
export async function exportSubscribersCsv(ctx: Ctx, input: ListSubscribersFilter = {}): Promise<AsyncIterable<string>> {
  authorize(ctx.actor, 'admin');
  const f = parseInput(ListSubscribersInput, input);
  await recordAudit(ctx, { action: 'subscriber.export', objectType: 'subscriber_export', objectId: newId(), after: { filter: { ...f, page: undefined, pageSize: undefined } } });
  return (async function* pages() {
    yield csvChunk([[...EXPORT_COLUMNS]]);
    let after = '';
    for (;;) {
      const rows = await ctx.db
        .select()
        .from(subscribers)
        .where(and(filterWhere(f), after ? gt(subscribers.id, after) : undefined))
        .orderBy(asc(subscribers.id))
        .limit(EXPORT_PAGE);
      if (rows.length === 0) return;
      yield csvChunk(rows.map(exportRow));
      after = rows[rows.length - 1]!.id;
      if (rows.length < EXPORT_PAGE) return;
    }
  })();
}

// ---------------------------------------------------------------------------------------------------------
// Import: preview, then apply

/** Why a row is not imported. Codes, so the console words them in the operator's language. */
export const IMPORT_REASONS = [
  'invalid_email',
  'invalid_language',
  'unknown_services',
  'duplicate_in_file',
  'already_subscribed',
  'unchanged',
  'unsubscribed',
  'suppressed',
] as const;
export type ImportReason = (typeof IMPORT_REASONS)[number];

export type ImportRow = {
  line: number;
  /** As written in the file (trimmed), for the report. */
  email: string;
  action: 'create' | 'update' | 'skip';
  reason?: ImportReason;
  /** The unknown service keys, for `unknown_services`. */
  detail?: string;
  locale?: Locale;
  allServices?: boolean;
  serviceKeys?: string[];
};

export type ImportPlan = {
  /** sha256 of the file and options: apply refuses a file that is not the one previewed. */
  fingerprint: string;
  rows: ImportRow[];
  totals: { create: number; update: number; skip: number };
};

export type ImportReport = ImportPlan & { importId: string; consent: 'double_opt_in' | 'operator_attested'; confirmationsQueued: number };

/**
 * Browsers send a form's text with CRLF line ends whatever the file had, so the file is compared and read with
 * one kind of line end: the preview's fingerprint then matches the same file coming back from the apply form.
 */
const normalizeLines = (csv: string) => csv.replace(/\r\n?/g, '\n');

const PreviewInput = z.object({
  csv: z.string().max(IMPORT_MAX_BYTES, 'at most 900 KB').transform(normalizeLines),
  /** Existing pending/confirmed subscribers get the file's language and services; otherwise they are skipped. */
  updateExisting: z.boolean().default(false),
});

const ApplyInput = PreviewInput.extend({
  fingerprint: z.string().regex(/^[0-9a-f]{64}$/, 'preview the file first'),
  /** The operator states the people in the file agreed elsewhere: they are confirmed without an e-mail. */
  attestConsent: z.boolean().default(false),
  consentNote: z.string().trim().max(1000).optional(),
}).superRefine((v, issue) => {
  if (v.attestConsent && (v.consentNote ?? '').length < 10) {
    issue.addIssue({ code: 'custom', path: ['consentNote'], message: 'say how and when consent was collected (at least 10 characters)' });
  }
});

const LANGUAGE_WORDS: Record<string, Locale> = { it: 'it', ita: 'it', italiano: 'it', italian: 'it', en: 'en', eng: 'en', english: 'en', inglese: 'en' };

function fingerprintOf(csv: string, updateExisting: boolean): string {
  return createHash('sha256').update(`${updateExisting ? 1 : 0}\n${csv}`).digest('hex');
}

function fileError(error: unknown): never {
  if (error instanceof CsvFileError) throw new ServiceError('validation_failed', error.message, { csv: error.message });
  throw error;
}

/** Judges every row against the file itself, the catalogue and the current list. Writes nothing. */
async function planImport(ctx: Ctx, csv: string, updateExisting: boolean): Promise<ImportPlan> {
  let parsed: ReturnType<typeof parseSubscriberCsv>;
  try {
    parsed = parseSubscriberCsv(csv, IMPORT_MAX_ROWS);
  } catch (error) {
    fileError(error);
  }
  const known = new Set((await ctx.db.select({ key: services.key }).from(services)).map((s) => s.key));
  const seen = new Set<string>();
  const rows: ImportRow[] = parsed.rows.map((r) => {
    const email = Email.safeParse(r.email);
    if (!email.success) return { line: r.line, email: r.email, action: 'skip', reason: 'invalid_email' };
    const address = email.data;
    if (seen.has(address)) return { line: r.line, email: address, action: 'skip', reason: 'duplicate_in_file' };
    seen.add(address);
    const locale = r.language === '' ? 'it' : LANGUAGE_WORDS[r.language.toLowerCase()];
    if (!locale) return { line: r.line, email: address, action: 'skip', reason: 'invalid_language', detail: r.language };
    const keys = r.services === ALL_SERVICES_MARK ? [] : [...new Set(r.services.split(/[\s,;|]+/).filter(Boolean))];
    const unknown = keys.filter((k) => !known.has(k));
    if (unknown.length) return { line: r.line, email: address, action: 'skip', reason: 'unknown_services', detail: unknown.join(' ') };
    return { line: r.line, email: address, action: 'create', locale, allServices: keys.length === 0, serviceKeys: keys };
  });

  const candidates = rows.filter((r) => r.action === 'create');
  const existing = new Map<string, SubscriberRow>();
  for (let i = 0; i < candidates.length; i += 1000) {
    const emails = candidates.slice(i, i + 1000).map((r) => r.email);
    for (const s of await ctx.db.select().from(subscribers).where(inArray(subscribers.email, emails))) existing.set(s.email, s);
  }
  for (const r of candidates) {
    const s = existing.get(r.email);
    if (!s) continue;
    r.action = 'skip';
    if (s.state === 'unsubscribed' || s.state === 'suppressed') {
      // Someone who left is never brought back by a file: they subscribe again themselves if they want to.
      r.reason = s.state;
    } else if (!updateExisting) {
      r.reason = 'already_subscribed';
    } else if (s.locale === r.locale && s.allServices === r.allServices && sameKeys(s.serviceKeys, r.serviceKeys!)) {
      r.reason = 'unchanged';
    } else {
      r.action = 'update';
    }
  }
  const totals = { create: 0, update: 0, skip: 0 };
  for (const r of rows) totals[r.action]++;
  return { fingerprint: fingerprintOf(csv, updateExisting), rows, totals };
}

/** The same double opt-in e-mail the public form sends, for the delivery engine's one-off queue. */
function confirmationFor(tx: Ctx, links: LinkSigner, s: SubscriberRow): OneOffEmail {
  const issuedAt = s.confirmSentAt ?? tx.now();
  const content = confirmationEmail({
    locale: s.locale,
    confirmUrl: links.confirmUrl(s, s.locale, issuedAt),
    expiresAt: new Date(issuedAt.getTime() + CONFIRM_LINK_TTL_MS),
    timeZone: tx.timeZone,
  });
  return { kind: 'confirm', to: s.email, locale: s.locale, subscriberId: s.id, content };
}

const sameKeys = (a: string[], b: string[]) => a.length === b.length && [...a].sort().join(' ') === [...b].sort().join(' ');

/** Step one: what importing this file would do, row by row. Nothing is written. */
export async function previewImport(ctx: Ctx, input: { csv: string; updateExisting?: boolean }): Promise<ImportPlan> {
  authorize(ctx.actor, 'admin');
  const data = parseInput(PreviewInput, input);
  return planImport(ctx, data.csv, data.updateExisting);
}

/**
 * Step two: imports the previewed file in one transaction. The rows are judged again (the list may have
 * changed since the preview), and the report says what was actually done. New addresses are `pending` and
 * get a confirmation e-mail, unless the operator attests consent collected elsewhere: then they are
 * `confirmed` with `consent = operator_attested`, and the note, the operator and the import are recorded on
 * each row and in the audit log.
 */
export async function applyImport(
  ctx: Ctx,
  input: { csv: string; updateExisting?: boolean; fingerprint: string; attestConsent?: boolean; consentNote?: string },
): Promise<ImportReport> {
  authorize(ctx.actor, 'admin');
  const data = parseInput(ApplyInput, input);
  if (fingerprintOf(data.csv, data.updateExisting) !== data.fingerprint) {
    throw new ServiceError('conflict', 'The file is not the one previewed: preview it again.', { csv: 'preview the file again' });
  }
  const importId = newId();
  const consent: ImportReport['consent'] = data.attestConsent ? 'operator_attested' : 'double_opt_in';
  const actor = `${ctx.actor.kind}:${ctx.actor.id}`;
  return inTransaction(ctx, async (tx) => {
    const plan = await planImport(tx, data.csv, data.updateExisting);
    const now = tx.now();
    const consentNote = data.attestConsent ? `${data.consentNote} — attested by ${actor}, import ${importId}` : null;
    let confirmationsQueued = 0;
    let links: LinkSigner | null = null;

    const creates = plan.rows.filter((r) => r.action === 'create');
    for (let i = 0; i < creates.length; i += 500) {
      const chunk = creates.slice(i, i + 500);
      const inserted = await tx.db
        .insert(subscribers)
        .values(
          chunk.map((r) => ({
            email: r.email,
            locale: r.locale!,
            allServices: r.allServices!,
            serviceKeys: r.serviceKeys!,
            source: 'import' as const,
            consent,
            consentNote,
            state: data.attestConsent ? ('confirmed' as const) : ('pending' as const),
            confirmedAt: data.attestConsent ? now : null,
            confirmSentAt: data.attestConsent ? null : now,
            createdAt: now,
            updatedAt: now,
          })),
        )
        // Someone subscribing from the public page at this very moment keeps their own row and choices.
        .onConflictDoNothing({ target: subscribers.email })
        .returning();
      const made = new Map(inserted.map((s) => [s.email, s]));
      const confirmations: OneOffEmail[] = [];
      for (const r of chunk) {
        const s = made.get(r.email);
        if (!s) {
          r.action = 'skip';
          r.reason = 'already_subscribed';
        } else if (s.state === 'pending') {
          links ??= await getLinkSigner(tx);
          confirmations.push(confirmationFor(tx, links, s));
        }
      }
      await enqueueEmails(tx, confirmations);
      confirmationsQueued += confirmations.length;
    }
    for (const r of plan.rows.filter((x) => x.action === 'update')) {
      await tx.db
        .update(subscribers)
        .set({ locale: r.locale!, allServices: r.allServices!, serviceKeys: r.serviceKeys!, updatedAt: now })
        .where(and(eq(subscribers.email, r.email), inArray(subscribers.state, ['pending', 'confirmed'])));
    }
    const totals = { create: 0, update: 0, skip: 0 };
    for (const r of plan.rows) totals[r.action]++;
    await recordAudit(tx, {
      action: 'subscriber.import',
      objectType: 'subscriber_import',
      objectId: importId,
      after: {
        ...totals,
        consent,
        consentNote: data.attestConsent ? data.consentNote : undefined,
        updateExisting: data.updateExisting,
        fingerprint: plan.fingerprint,
        confirmationsQueued,
      },
    });
    return { ...plan, totals, importId, consent, confirmationsQueued };
  });
}

// ---------------------------------------------------------------------------------------------------------
// What was sent: the embedded transport's mailbox, and per-update delivery counts

export type SentMail = { id: string; kind: string; to: string; locale: string; subject: string | null; sentAt: Date; text: string | null };

/**
 * The e-mails the embedded transport wrote (no RESEND_API_KEY), newest first, with their plain-text part: what
 * `npm start` users read instead of a mailbox. Editors and up: recipients and texts are personal data.
 */
export async function listSentMail(ctx: Ctx, input: { before?: string; limit?: number; mailDir: string }): Promise<{ items: SentMail[]; next: string | null }> {
  authorize(ctx.actor, 'write');
  const before = input.before ? new Date(input.before) : undefined;
  if (before && Number.isNaN(before.getTime())) {
    throw new ServiceError('validation_failed', 'The page cursor is not valid: start again from the first page.', { before: 'not a valid cursor' });
  }
  const limit = Math.min(Math.max(input.limit ?? 50, 1), 200);
  const items = await listMail(ctx, { limit, before, mailDir: input.mailDir });
  const last = items[items.length - 1];
  return {
    items: items.map(({ raw, ...m }) => ({ ...m, text: raw ? textPartOf(raw) : null })),
    next: items.length === limit && last ? last.sentAt.toISOString() : null,
  };
}

/**
 * The text/plain part of a message in the embedded transport's format (src/delivery/eml.ts: multipart with
 * base64 parts). Anything else it cannot read gives null and the page says so, rather than guess.
 */
export function textPartOf(raw: string): string | null {
  const boundary = /boundary="([^"]+)"/i.exec(raw)?.[1];
  if (!boundary) return null;
  for (const part of raw.split(`--${boundary}`)) {
    const split = part.search(/\r?\n\r?\n/);
    if (split === -1) continue;
    const headers = part.slice(0, split);
    if (!/^content-type:\s*text\/plain/im.test(headers)) continue;
    const body = part.slice(split).trim();
    return /^content-transfer-encoding:\s*base64/im.test(headers) ? Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8') : body;
  }
  return null;
}

/**
 * E-mail figures for each published update of an incident, keyed by the update id (the event's subject): how
 * many were queued, sent, failed, bounced… Aggregates, so every role that reads the incident sees them.
 */
export async function deliveryCountsForIncident(ctx: Ctx, input: { incidentId: string }): Promise<Map<string, DeliveryStats>> {
  authorize(ctx.actor, 'read');
  const out = new Map<string, DeliveryStats>();
  const events = await listEvents(ctx, { incidentId: input.incidentId, limit: 500 });
  for (const event of events) {
    if (!event.notify || out.has(event.subjectId)) continue;
    const stats = await deliveryStats(ctx, { eventId: event.id });
    out.set(event.subjectId, stats);
  }
  return out;
}
