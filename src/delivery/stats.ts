/** What the console shows about delivery: per-update counts, and the embedded transport's mailbox. */
import { and, desc, eq, like, lt, sql } from 'drizzle-orm';
import { emailFanouts, emailMessages } from '../../db/schema/index.ts';
import { EMAIL_STATES } from '../../db/schema/outbox.ts';
import type { Ctx } from '../services/context.ts';
import { EML_PREFIX, readEml } from './eml.ts';

export type DeliveryStats = Record<(typeof EMAIL_STATES)[number], number> & { recipients: number };

/** Counts by state for the alert about one event (zeros when it was not e-mailed). */
export async function deliveryStats(ctx: Ctx, input: { eventId: string }): Promise<DeliveryStats> {
  const stats = Object.fromEntries(EMAIL_STATES.map((s) => [s, 0])) as DeliveryStats;
  stats.recipients = 0;
  const [fanout] = await ctx.db
    .select({ id: emailFanouts.id, recipients: emailFanouts.recipients })
    .from(emailFanouts)
    .where(eq(emailFanouts.key, `event:${input.eventId}`));
  if (!fanout) return stats;
  stats.recipients = fanout.recipients;
  const rows = await ctx.db
    .select({ state: emailMessages.state, n: sql<number>`count(*)::int` })
    .from(emailMessages)
    .where(eq(emailMessages.fanoutId, fanout.id))
    .groupBy(emailMessages.state);
  for (const row of rows) stats[row.state] = row.n;
  return stats;
}

export type MailItem = { id: string; kind: string; to: string; locale: string; subject: string | null; sentAt: Date; raw: string | null };

/**
 * The e-mails the embedded transport wrote, newest first, with their files' text (for the console). `before` is
 * the `sentAt` of the last item of the previous page.
 */
export async function listMail(ctx: Ctx, input: { limit?: number; before?: Date; mailDir: string }): Promise<MailItem[]> {
  const rows = await ctx.db
    .select({ id: emailMessages.id, kind: emailMessages.kind, to: emailMessages.email, locale: emailMessages.locale, sentAt: emailMessages.sentAt })
    .from(emailMessages)
    .where(and(like(emailMessages.providerId, `${EML_PREFIX}%`), input.before ? lt(emailMessages.sentAt, input.before) : undefined))
    .orderBy(desc(emailMessages.sentAt), desc(emailMessages.id))
    .limit(Math.min(Math.max(input.limit ?? 50, 1), 200));
  return Promise.all(
    rows.map(async (r) => {
      const raw = await readEml(input.mailDir, r.id);
      const subject = raw ? decodeSubject(/^Subject: (.*)$/m.exec(raw)?.[1]?.trim() ?? '') : null;
      return { ...r, sentAt: r.sentAt!, subject, raw };
    }),
  );
}

function decodeSubject(value: string): string {
  const m = /^=\?UTF-8\?B\?(.*)\?=$/.exec(value);
  return m ? Buffer.from(m[1]!, 'base64').toString('utf8') : value;
}
