/**
 * When to try a failing delivery again. Exponential backoff from 30 s, doubling, capped at 4 h between tries,
 * each wait stretched by up to 20 % of random jitter (so many deliveries failing together do not hammer a
 * recovering receiver in lockstep). A delivery is retried for 24 h after it was created, with one last try at
 * the 24 h mark, then it has failed: about 15 attempts in all.
 */
export const FIRST_RETRY_MS = 30_000;
export const MAX_RETRY_GAP_MS = 4 * 3_600_000;
export const RETRY_WINDOW_MS = 24 * 3_600_000;

/** The wait after the `attempt`-th failed attempt (1-based), before jitter. */
export function retryDelay(attempt: number): number {
  return Math.min(MAX_RETRY_GAP_MS, FIRST_RETRY_MS * 2 ** Math.max(0, Math.min(attempt - 1, 20)));
}

/** The next attempt's time, or null when the retry window is over and the delivery has failed. */
export function nextAttemptAt(createdAt: Date, attempt: number, now: Date, random: () => number = Math.random): Date | null {
  const deadline = createdAt.getTime() + RETRY_WINDOW_MS;
  if (now.getTime() >= deadline) return null;
  const wait = retryDelay(attempt) * (1 + 0.2 * random());
  return new Date(Math.min(deadline, now.getTime() + wait));
}
