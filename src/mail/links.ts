/**
 * Signed, single-purpose links for subscribers: confirm (expires, bound to the subscriber's confirm nonce),
 * manage and unsubscribe (no expiry, bound to the subscriber id).
 *
 * A token is `<payload>.<signature>`, both URL-safe base64: payload = `purpose|subscriberId[|nonce|expiresAt]`,
 * signature = HMAC-SHA256(key, payload). The key lives in `app_secrets`, created at first use by whichever
 * instance gets there first, so every instance signs and verifies alike.
 *
 * Manage and unsubscribe links carry no time or randomness: the same subscriber always gets the same link, which
 * is what lets the delivery engine rebuild a batch byte for byte when it retries under the same idempotency key.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { appSecrets } from '../../db/schema/index.ts';
import type { Locale } from '../domain/vocab.ts';
import { localePath } from '../i18n/index.ts';
import type { Ctx } from '../services/context.ts';

export type LinkPurpose = 'confirm' | 'manage' | 'unsubscribe';

/** What a valid token says. `nonce` and `expiresAt` are present on confirm tokens only. */
export type VerifiedToken = { purpose: LinkPurpose; subscriberId: string; nonce?: number; expiresAt?: Date };

export const CONFIRM_LINK_TTL_MS = 72 * 3_600_000;

export type LinkSigner = {
  /** `issuedAt` is when the link is sent (subscribers.confirm_sent_at): the same row gives the same link. */
  confirmUrl(sub: { id: string; confirmNonce: number }, locale: Locale, issuedAt: Date): string;
  manageUrl(subscriberId: string, locale: Locale): string;
  /** The RFC 8058 one-click address (POST unsubscribes; GET shows a page asking to confirm). */
  unsubscribeUrl(subscriberId: string): string;
  /** The `mailto:` alternative of the List-Unsubscribe header. */
  unsubscribeMailto(subscriberId: string): string;
  /** The token's claims when it is genuine, of the expected purpose and not expired; otherwise null, with no reason. */
  verify(token: string, purposes: LinkPurpose | LinkPurpose[], now: Date): VerifiedToken | null;
};

/** What a pure e-mail composer needs: no database, no clock. */
export type RecipientLinks = Pick<LinkSigner, 'manageUrl' | 'unsubscribeUrl' | 'unsubscribeMailto'>;

const SECRET_NAME = 'link_signing_key';
const PURPOSES: readonly LinkPurpose[] = ['confirm', 'manage', 'unsubscribe'];
// Reading the key is one query; the database handle (never a transaction's) keeps it for the process.
const keyCache = new WeakMap<object, Buffer>();

export async function getLinkSigner(ctx: Ctx): Promise<LinkSigner> {
  return createLinkSigner(await signingKey(ctx), ctx.siteUrl);
}

async function signingKey(ctx: Ctx): Promise<Buffer> {
  const cached = keyCache.get(ctx.db);
  if (cached) return cached;
  const read = async () => (await ctx.db.select({ value: appSecrets.value }).from(appSecrets).where(eq(appSecrets.name, SECRET_NAME)))[0];
  let row = await read();
  if (!row) {
    // Two instances may race here: ON CONFLICT keeps the first key, and both then read that one.
    await ctx.db
      .insert(appSecrets)
      .values({ name: SECRET_NAME, value: randomBytes(32).toString('base64url') })
      .onConflictDoNothing();
    row = await read();
  }
  const key = Buffer.from(row!.value, 'base64url');
  keyCache.set(ctx.db, key);
  return key;
}

/** A signer from a known key: exported for tests and for tools that hold the key already. */
export function createLinkSigner(key: Buffer, siteUrl: string): LinkSigner {
  const site = siteUrl.replace(/\/$/, '');
  const mac = (payload: string) => createHmac('sha256', key).update(payload).digest();
  const sign = (fields: (string | number)[]) => {
    const payload = fields.join('|');
    return `${Buffer.from(payload).toString('base64url')}.${mac(payload).toString('base64url')}`;
  };
  const unsubscribeToken = (id: string) => sign(['unsubscribe', id]);
  const mailHost = new URL(site).hostname;

  return {
    confirmUrl(sub, locale, issuedAt) {
      const expires = Math.floor((issuedAt.getTime() + CONFIRM_LINK_TTL_MS) / 1000);
      return `${site}${localePath(locale, `/subscribe/confirm/${sign(['confirm', sub.id, sub.confirmNonce, expires])}`)}`;
    },
    manageUrl: (id, locale) => `${site}${localePath(locale, `/subscription/${sign(['manage', id])}`)}`,
    unsubscribeUrl: (id) => `${site}/u/${unsubscribeToken(id)}`,
    unsubscribeMailto: (id) => `mailto:unsubscribe@${mailHost}?subject=${encodeURIComponent(`unsubscribe ${unsubscribeToken(id)}`)}`,
    verify(token, purposes, now) {
      const wanted = Array.isArray(purposes) ? purposes : [purposes];
      const [encoded, signature, extra] = String(token).split('.');
      if (!encoded || !signature || extra !== undefined) return null;
      const payload = Buffer.from(encoded, 'base64url').toString('utf8');
      const expected = mac(payload);
      const given = Buffer.from(signature, 'base64url');
      // Compare the whole MAC in constant time before looking at anything the payload says.
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
      const [purpose, subscriberId, nonce, expires, ...rest] = payload.split('|');
      if (!PURPOSES.includes(purpose as LinkPurpose) || !wanted.includes(purpose as LinkPurpose) || !subscriberId || rest.length) return null;
      if (purpose !== 'confirm') return nonce === undefined ? { purpose: purpose as LinkPurpose, subscriberId } : null;
      const expiresAt = new Date(Number(expires) * 1000);
      if (!/^\d+$/.test(nonce ?? '') || Number.isNaN(expiresAt.getTime()) || expiresAt <= now) return null;
      return { purpose: 'confirm', subscriberId, nonce: Number(nonce), expiresAt };
    },
  };
}
