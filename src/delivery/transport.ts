/**
 * Where a batch of e-mails goes: Resend (through its SDK) or, with no API key, `.eml` files on disk. Both answer
 * with the same outcomes, so the batch state machine (batch.ts) and the console's counts do not care which.
 */
import { Resend } from 'resend';
import { writeEml } from './eml.ts';

export type OutgoingEmail = {
  from: string;
  to: string;
  subject: string;
  html: string;
  text: string;
  headers: Record<string, string>;
};

export type SendOutcome =
  /** Accepted. `ids[i]` is the provider id of email i, null where `errors` rejected that one. */
  | { kind: 'sent'; ids: (string | null)[]; errors: { index: number; message: string }[] }
  /** Too many requests: nobody may send before `retryAfterMs` from now. */
  | { kind: 'rate_limited'; retryAfterMs: number; error: string }
  /** Network error, timeout, 5xx, a concurrent request with the same key: safe to repeat with the same key. */
  | { kind: 'transient'; error: string }
  /** The provider refused the request itself (4xx): repeating it cannot help. */
  | { kind: 'permanent'; error: string };

export type Transport = {
  readonly name: 'resend' | 'eml';
  /**
   * Sends up to 100 e-mails as one request. `messageIds` name the stored messages (the file transport names its
   * files after them, so a repeat overwrites instead of duplicating).
   */
  sendBatch(emails: OutgoingEmail[], opts: { idempotencyKey: string; messageIds: string[] }): Promise<SendOutcome>;
};

export function resendTransport(opts: { apiKey: string; baseUrl?: string; timeoutMs?: number }): Transport {
  const resend = new Resend(opts.apiKey, opts.baseUrl ? { baseUrl: opts.baseUrl } : undefined);
  const timeoutMs = opts.timeoutMs ?? 30_000;
  return {
    name: 'resend',
    async sendBatch(emails, { idempotencyKey }) {
      const { data, error, headers } = await resend.batch.send(emails, {
        idempotencyKey,
        batchValidation: 'permissive',
        // The SDK has no timeout of its own; an aborted request comes back as a network error (statusCode null).
        signal: AbortSignal.timeout(timeoutMs),
      });
      if (error) return classifyError(error, headers);
      const rejected = new Map((data.errors ?? []).map((e) => [e.index, e.message]));
      // In permissive mode `data` lists the accepted e-mails only, in request order.
      const accepted = data.data.map((d) => d.id);
      const ids = emails.map((_, i) => (rejected.has(i) ? null : (accepted.shift() ?? null)));
      return { kind: 'sent', ids, errors: [...rejected].map(([index, message]) => ({ index, message })) };
    },
  };
}

function classifyError(
  error: { statusCode: number | null; name: string; message: string },
  headers: Record<string, string> | null,
): SendOutcome {
  const text = `${error.statusCode ?? 'network'} ${error.name}: ${error.message}`;
  const status = error.statusCode;
  if (status === 429) {
    const seconds = Number(headers?.['retry-after']);
    return { kind: 'rate_limited', retryAfterMs: Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : 1000, error: text };
  }
  if (status === null || status >= 500 || error.name === 'concurrent_idempotent_requests') return { kind: 'transient', error: text };
  return { kind: 'permanent', error: text };
}

export function emlTransport(opts: { dir: string }): Transport {
  return {
    name: 'eml',
    async sendBatch(emails, { messageIds }) {
      const ids: string[] = [];
      for (const [i, email] of emails.entries()) ids.push(await writeEml(opts.dir, messageIds[i]!, email));
      return { kind: 'sent', ids, errors: [] };
    },
  };
}
