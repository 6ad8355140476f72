/**
 * One-off e-mails (a confirmation link, a notice to a webhook's owner), with the rendered content stored on each
 * message, written in the caller's transaction. They then go through the same batch state machine as alerts:
 * same rate limit, same retries, same exactly-once argument, same console counts. Several at once (an import's
 * confirmations) share batches of up to BATCH_SIZE, one provider request each: 10,000 imported addresses are 100
 * requests, not 10,000 at the provider's rate limit.
 */
import { emailBatches, emailMessages } from '../../db/schema/index.ts';
import { newId } from '../../db/ids.ts';
import type { Locale } from '../domain/vocab.ts';
import type { Ctx } from '../services/context.ts';
import { BATCH_SIZE } from './fanout.ts';
import type { ComposedEmail } from './mail-port.ts';
import { enqueueJob } from './outbox.ts';

export type OneOffEmail = {
  kind: 'confirm' | 'owner_notice';
  to: string;
  locale: Locale;
  subscriberId?: string;
  content: { subject: string; html: string; text: string; headers?: Record<string, string> };
};

export async function enqueueEmail(tx: Ctx, email: OneOffEmail): Promise<{ batchId: string; messageId: string }> {
  const [queued] = await enqueueEmails(tx, [email]);
  return queued!;
}

/** Queues the e-mails in order, BATCH_SIZE to a batch; returns where each went. */
export async function enqueueEmails(tx: Ctx, emails: OneOffEmail[]): Promise<{ batchId: string; messageId: string }[]> {
  const now = tx.now();
  const queued: { batchId: string; messageId: string }[] = [];
  for (let i = 0; i < emails.length; i += BATCH_SIZE) {
    const group = emails.slice(i, i + BATCH_SIZE);
    const batchId = newId();
    await tx.db.insert(emailBatches).values({ id: batchId, createdAt: now });
    const rows = group.map((email, position) => {
      const content: ComposedEmail = { to: email.to, subject: email.content.subject, html: email.content.html, text: email.content.text, headers: email.content.headers ?? {} };
      return {
        id: newId(),
        kind: email.kind,
        batchId,
        position,
        subscriberId: email.subscriberId ?? null,
        email: email.to,
        locale: email.locale,
        content,
        createdAt: now,
        updatedAt: now,
      };
    });
    await tx.db.insert(emailMessages).values(rows);
    await enqueueJob(tx, 'email.batch', batchId);
    queued.push(...rows.map((r) => ({ batchId, messageId: r.id })));
  }
  return queued;
}
