/**
 * Limits on the public forms (subscribe, resend confirmation), shared by every instance through the
 * `rate_limits` table: one fixed window per key, advanced by a single atomic upsert, so two instances counting
 * at once cannot both see "one left".
 *
 * Keys never hold an address in clear: the table is operational state, not a list of who tried to subscribe.
 */
import { createHash } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { rateLimits } from '../../db/schema/index.ts';
import type { Ctx } from './context.ts';

export type FormLimit = { limit: number; windowMs: number };

/** Per client: a household or office behind one address may subscribe a few people. */
export const PER_IP: FormLimit = { limit: 10, windowMs: 3_600_000 };
/** Per e-mail address: enough to retry a lost confirmation, too few to flood someone's mailbox. */
export const PER_ADDRESS: FormLimit = { limit: 3, windowMs: 3_600_000 };

/** Thrown when a client is over its limit; the page answers 429 with the wait. */
export class RateLimited extends Error {
  readonly retryAfterSeconds: number;
  constructor(retryAfterSeconds: number) {
    super('Too many requests: try again later.');
    this.name = 'RateLimited';
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/**
 * Counts one attempt under `key` and says whether it is within the limit. Call it on the database itself, not
 * inside the transaction of the work it guards: a refused or failed attempt must still count.
 */
export async function consumeFormLimit(ctx: Ctx, key: string, limit: FormLimit): Promise<{ allowed: boolean; retryAfterSeconds: number }> {
  const now = ctx.now();
  const windowFloor = new Date(now.getTime() - limit.windowMs);
  const expired = sql`${rateLimits.windowStart} <= ${windowFloor.toISOString()}::timestamptz`;
  const [row] = await ctx.db
    .insert(rateLimits)
    .values({ key, windowStart: now, count: 1 })
    .onConflictDoUpdate({
      target: rateLimits.key,
      set: {
        windowStart: sql`case when ${expired} then ${now.toISOString()}::timestamptz else ${rateLimits.windowStart} end`,
        count: sql`case when ${expired} then 1 else ${rateLimits.count} + 1 end`,
      },
    })
    .returning({ windowStart: rateLimits.windowStart, count: rateLimits.count });
  const allowed = row!.count <= limit.limit;
  const retryAfterMs = row!.windowStart.getTime() + limit.windowMs - now.getTime();
  return { allowed, retryAfterSeconds: allowed ? 0 : Math.max(1, Math.ceil(retryAfterMs / 1000)) };
}

/** `ip:<address>`, with IPv6 reduced to its /64: one host usually owns a whole /64 and could rotate within it. */
export function ipLimitKey(scope: string, ip: string): string {
  const plain = ip.trim().toLowerCase().replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, '');
  return `${scope}:ip:${plain.includes(':') ? ipv6Prefix64(plain) : plain}`;
}

export function addressLimitKey(scope: string, email: string): string {
  return `${scope}:addr:${createHash('sha256').update(email.trim().toLowerCase()).digest('base64url')}`;
}

function ipv6Prefix64(ip: string): string {
  const [head = '', tail = ''] = ip.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = ip.includes('::') ? [...left, ...Array(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right] : left;
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}
