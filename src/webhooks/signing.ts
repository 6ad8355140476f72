/** Standard Webhooks signing (https://www.standardwebhooks.com), done by the reference `standardwebhooks` package. */
import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';

/** `whsec_` + 32 random bytes in base64: the format every Standard Webhooks library accepts as is. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

/** The three headers of a signed message: the receiver verifies `id.timestamp.body` with the shared secret. */
export function signedHeaders(secret: string, messageId: string, at: Date, body: string): Record<string, string> {
  return {
    'webhook-id': messageId,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': new Webhook(secret).sign(messageId, at, body),
  };
}
