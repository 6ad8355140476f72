/**
 * The e-mail provider's request rate, shared by every worker on one database (Resend counts per team, not per
 * process). It is a slot reservation on one `rate_limits` row: each request atomically takes the next free slot
 * (`next_at`) and moves it on by 1/rate, then waits until its slot. The single-row UPDATE serialises the
 * reservations, so N workers together never exceed the rate. A 429 pushes `next_at` past the provider's
 * `retry-after`, which holds every worker back, not only the one that was told.
 *
 * Slots track the instant a request actually leaves, not only the instant it was reserved. A reservation is
 * made before the wait, and a worker whose timer fires late (an event loop busy with a synchronous PGlite query,
 * a GC, a starved CPU) would otherwise send together with the next slot's holder: two requests inside one
 * interval, and the provider's bucket answers the third with 429 and a whole second of `retry-after` for
 * everybody (measured: 97 of 1,097 requests in a 100,000-subscriber fan-out on a loaded machine). So:
 *   - in this process, requests leave at least one interval apart, counted from the previous ACTUAL send
 *     (reserved slots held by the same process queue up behind a late one instead of bunching with it);
 *   - a request that leaves late moves the shared schedule to at least one interval after its actual
 *     instant, so the next reservation of any worker, in any process, keeps the spacing too.
 * Both only ever delay: the rate can never exceed `requestsPerSecond`, and on time they cost nothing.
 */
import { eq, sql } from 'drizzle-orm';
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
  /** This process's latest request instant (the limiter's clock). */
  let lastSendAt = -Infinity;
  /** Late by more than this: tell the shared schedule (a timer a few ms late is normal and harmless). */
  const lateMs = Math.max(5, intervalMs / 10);
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
      // Never closer than one interval to this process's previous request (see the top of this file). No await
      // between the last check and taking the instant, so two waiters cannot both pass on the same instant.
      for (let gap = lastSendAt + intervalMs - now(); gap > 0; gap = lastSendAt + intervalMs - now()) await sleep(gap);
      const sendAt = now();
      lastSendAt = sendAt;
      if (sendAt - slot > lateMs) {
        await db()
          .update(rateLimits)
          .set({ nextAt: sql`greatest(${rateLimits.nextAt}, ${new Date(sendAt + intervalMs).toISOString()}::timestamptz)` })
          .where(eq(rateLimits.key, key));
      }
    },
    async pushBack(until) {
      await db()
        .insert(rateLimits)
        .values({ key, windowStart: new Date(now()), count: 0, nextAt: until })
        .onConflictDoUpdate({ target: rateLimits.key, set: { nextAt: sql`greatest(${rateLimits.nextAt}, ${until.toISOString()}::timestamptz)` } });
    },
  };
}
