/**
 * One-off e-mails (a confirmation link, a notice to a webhook's owner): a batch of one, with the rendered
 * content stored on its message, written in the caller's transaction. It then goes through the same batch
 * state machine as alerts: same rate limit, same retries, same exactly-once argument, same console counts.
 */
import { emailBatches, emailMessages } from '../../db/schema/index.ts';
import { newId } from '../../db/ids.ts';
import type { Locale } from '../domain/vocab.ts';
import type { Ctx } from '../services/context.ts';
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
  const now = tx.now();
  const batchId = newId();
  const messageId = newId();
  const content: ComposedEmail = { to: email.to, subject: email.content.subject, html: email.content.html, text: email.content.text, headers: email.content.headers ?? {} };
  await tx.db.insert(emailBatches).values({ id: batchId, createdAt: now });
  await tx.db.insert(emailMessages).values({
    id: messageId,
    kind: email.kind,
    batchId,
    subscriberId: email.subscriberId ?? null,
    email: email.to,
    locale: email.locale,
    content,
    createdAt: now,
    updatedAt: now,
  });
  await enqueueJob(tx, 'email.batch', batchId);
  return { batchId, messageId };
}
