/**
 * `Idempotency-Key` on every POST: the HTTP side of the idempotency service (src/services/idempotency.ts).
 * The request is fingerprinted (method, path, parsed body) and the route runs inside `withIdempotency` with
 * the transaction's context, so the change and the stored response commit together: a retry either replays the
 * stored response (`Idempotent-Replayed: true`) or, if the first attempt never committed, runs again.
 * Only successful (2xx) responses are stored; an error frees the key, so a corrected request can use it again.
 */
import type { MiddlewareHandler } from 'hono';
import { hashRequest, withIdempotency } from '../../services/idempotency.ts';
import type { V1Env } from './core.ts';

export const IDEMPOTENCY_HEADER = 'Idempotency-Key';
export const REPLAYED_HEADER = 'Idempotent-Replayed';

/** Carries a non-2xx response out of the idempotent block so its transaction rolls back and the key is freed. */
class NotStored extends Error {}

export function idempotency(): MiddlewareHandler<V1Env> {
  return async (c, next) => {
    if (c.req.method !== 'POST') return next();
    const key = c.req.header(IDEMPOTENCY_HEADER);
    if (key === undefined) return next();
    const text = await c.req.text();
    let body: unknown = text;
    try {
      body = text === '' ? null : JSON.parse(text);
    } catch {
      // Not JSON: the route answers 400 and nothing is stored; the raw text still identifies the request.
    }
    // Parsed, so a retry that serialises the same JSON with another key order is the same request.
    const requestHash = hashRequest(c.req.method, c.req.path, body);
    try {
      const result = await withIdempotency(c.var.ctx, { key, requestHash }, async (tx) => {
        c.set('ctx', tx);
        await next();
        if (c.res.status < 200 || c.res.status > 299) throw new NotStored();
        // A route may store less than it sends (a token's secret is never stored): `replayBody`.
        const stored = c.get('replayBody');
        return { status: c.res.status, body: stored ?? (await c.res.clone().json()) };
      });
      if (result.replayed) {
        c.header(REPLAYED_HEADER, 'true');
        return c.json(result.body as object, result.status as 200);
      }
    } catch (error) {
      if (error instanceof NotStored) return; // c.res already holds the error response
      throw error;
    }
  };
}
