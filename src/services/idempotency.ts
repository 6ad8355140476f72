/**
 * Idempotency keys for the JSON API: automation retries a POST after a timeout without posting the update twice.
 *
 * Keyed by (actor, key). The first request claims the key (a committed "in flight" row), then runs the action and
 * stores its response in ONE transaction with the action's writes, so the change and the stored answer exist
 * together or not at all. A retry with the same key and the same request gets the stored answer back; with a
 * different request it is refused (`idempotency_key_reused`); while the first is still running it is refused
 * (`idempotency_in_progress`: retry shortly). Keys live 24 hours. An in-flight claim older than two minutes is
 * taken to be a crashed request and may be taken over.
 *
 * The HTTP layer hashes what identifies the request (method, path, body) with `hashRequest`, calls the service
 * inside `fn` with the transaction context it receives, and returns `{ status, body }`. If `fn` throws, nothing is
 * stored and the key is freed (a retry runs again); to remember a refusal, return it as a status and body instead.
 */
import { createHash } from 'node:crypto';
import { and, eq, isNull, lt } from 'drizzle-orm';
import { idempotencyKeys } from '../../db/schema/index.ts';
import { type Ctx, inTransaction } from './context.ts';
import { ServiceError } from './errors.ts';
import { authorize } from './permissions.ts';

export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;
export const IN_FLIGHT_STALE_MS = 2 * 60 * 1000;
const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

export type IdempotencyReason = 'idempotency_key_reused' | 'idempotency_in_progress';

/** A `conflict` ServiceError with the precise reason, for the API's error code. */
export class IdempotencyError extends ServiceError {
  readonly reason: IdempotencyReason;
  constructor(reason: IdempotencyReason, message: string) {
    super('conflict', message, { idempotencyKey: reason });
    this.name = 'IdempotencyError';
    this.reason = reason;
  }
}

export type IdempotentResponse<T> = { status: number; body: T; replayed: boolean };

/** A stable digest of the request's identifying parts (object keys sorted, so key order does not matter). */
export function hashRequest(...parts: unknown[]): string {
  return createHash('sha256').update(stableJson(parts)).digest('hex');
}

export async function withIdempotency<T>(
  ctx: Ctx,
  request: { key: string; requestHash: string },
  fn: (tx: Ctx) => Promise<{ status: number; body: T }>,
): Promise<IdempotentResponse<T>> {
  authorize(ctx.actor, 'read');
  if (!KEY_PATTERN.test(request.key ?? '')) {
    throw new ServiceError('validation_failed', 'The Idempotency-Key must be 1 to 255 visible ASCII characters.', {
      idempotencyKey: 'invalid',
    });
  }
  const actor = `${ctx.actor.kind}:${ctx.actor.id}`;
  const { key, requestHash } = request;
  const now = ctx.now();
  const thisKey = and(eq(idempotencyKeys.actor, actor), eq(idempotencyKeys.key, key));
  const claim = async () =>
    (
      await ctx.db
        .insert(idempotencyKeys)
        .values({ actor, key, requestHash, createdAt: now })
        .onConflictDoNothing()
        .returning()
    )[0];

  let mine = await claim();
  if (!mine) {
    const [existing] = await ctx.db.select().from(idempotencyKeys).where(thisKey);
    if (!existing) {
      mine = await claim();
    } else if (now.getTime() - existing.createdAt.getTime() > IDEMPOTENCY_TTL_MS) {
      await ctx.db.delete(idempotencyKeys).where(and(thisKey, eq(idempotencyKeys.createdAt, existing.createdAt)));
      mine = await claim();
    } else if (existing.requestHash !== requestHash) {
      throw new IdempotencyError(
        'idempotency_key_reused',
        'This Idempotency-Key was already used for a different request. Use a new key for a new request.',
      );
    } else if (existing.status !== null) {
      return { status: existing.status, body: existing.body as T, replayed: true };
    } else if (now.getTime() - existing.createdAt.getTime() > IN_FLIGHT_STALE_MS) {
      // The first attempt died without an answer: take the key over.
      [mine] = await ctx.db
        .update(idempotencyKeys)
        .set({ createdAt: now })
        .where(and(thisKey, isNull(idempotencyKeys.status), eq(idempotencyKeys.createdAt, existing.createdAt)))
        .returning();
    }
    if (!mine) {
      throw new IdempotencyError(
        'idempotency_in_progress',
        'A request with this Idempotency-Key is still being processed. Retry in a few seconds to get its result.',
      );
    }
  }
  const claimedAt = mine.createdAt;
  try {
    return await inTransaction(ctx, async (tx) => {
      const result = await fn(tx);
      // Stored as JSON: the first answer and every replay are the same bytes.
      const body = JSON.parse(JSON.stringify(result.body ?? null)) as T;
      const [stored] = await tx.db
        .update(idempotencyKeys)
        .set({ status: result.status, body })
        .where(and(thisKey, isNull(idempotencyKeys.status), eq(idempotencyKeys.createdAt, claimedAt)))
        .returning({ key: idempotencyKeys.key });
      // Someone took the key over (we were presumed dead): roll our writes back rather than act twice.
      if (!stored) throw new IdempotencyError('idempotency_in_progress', 'This request took too long and was superseded by a retry.');
      return { status: result.status, body, replayed: false };
    });
  } catch (error) {
    // Nothing was stored: free the key so that a retry runs again.
    await ctx.db
      .delete(idempotencyKeys)
      .where(and(thisKey, isNull(idempotencyKeys.status), eq(idempotencyKeys.createdAt, claimedAt)));
    throw error;
  }
}

/** Drops keys older than 24 hours; called by the scheduler. */
export async function pruneIdempotencyKeys(ctx: Ctx): Promise<number> {
  const gone = await ctx.db
    .delete(idempotencyKeys)
    .where(lt(idempotencyKeys.createdAt, new Date(ctx.now().getTime() - IDEMPOTENCY_TTL_MS)))
    .returning({ key: idempotencyKeys.key });
  return gone.length;
}

function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}
