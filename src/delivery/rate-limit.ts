/**
 * The e-mail provider's request rate, shared by every worker on one database (Resend counts per team, not per
 * process). It is a slot reservation on one `rate_limits` row: each request atomically takes the next free slot
 * (`next_at`) and moves it on by 1/rate, then waits until its slot. The single-row UPDATE serialises the
 * reservations, so N workers together never exceed the rate. A 429 pushes `next_at` past the provider's
 * `retry-after`, which holds every worker back, not only the one that was told.
 */
import { sql } from 'drizzle-orm';
import { rateLimits } from '../../db/schema/index.ts';
import type { Ctx } from '../services/context.ts';

export const PROVIDER_LIMIT_KEY = 'email:provider';

export type ProviderLimiter = {
  /** Waits for this worker's turn to make one request. */
  acquire(): Promise<void>;
  /** The provider said to wait: nobody sends before `until`. */
  pushBack(until: Date): Promise<void>;
};

export type LimiterOptions = {
  requestsPerSecond: number;
  key?: string;
  /** Real time: the provider counts real seconds even when a test moves the service clock. */
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
};

export function providerLimiter(db: () => Ctx['db'], opts: LimiterOptions): ProviderLimiter {
  const key = opts.key ?? PROVIDER_LIMIT_KEY;
  const intervalMs = 1000 / opts.requestsPerSecond;
  const now = opts.now ?? Date.now;
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  return {
    async acquire() {
      const at = new Date(now());
      // The returned next_at is the end of our slot; our slot starts one interval earlier.
      const rows = await db()
        .insert(rateLimits)
        .values({ key, windowStart: at, count: 1, nextAt: new Date(at.getTime() + intervalMs) })
        .onConflictDoUpdate({
          target: rateLimits.key,
          set: {
            nextAt: sql`greatest(${rateLimits.nextAt}, ${at.toISOString()}::timestamptz) + make_interval(secs => ${intervalMs / 1000})`,
            count: sql`${rateLimits.count} + 1`,
          },
        })
        .returning({ nextAt: rateLimits.nextAt });
      const slot = rows[0]!.nextAt!.getTime() - intervalMs;
      const wait = slot - now();
      if (wait > 0) await sleep(wait);
    },
    async pushBack(until) {
      await db()
        .insert(rateLimits)
        .values({ key, windowStart: new Date(now()), count: 0, nextAt: until })
        .onConflictDoUpdate({ target: rateLimits.key, set: { nextAt: sql`greatest(${rateLimits.nextAt}, ${until.toISOString()}::timestamptz)` } });
    },
  };
}
