/**
 * Delivery tests need COMMITTED rows (a worker claims in one transaction and records in another), so they run on
 * the file's database directly, not in a rolled-back test transaction, and each test empties the delivery
 * tables first. The worker here uses the real handlers, the real templates, the real Resend SDK and the
 * stand-in; only the registry is per test (handlers passed in), so crash points can be injected.
 */
import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll } from 'vitest';
import type { Db } from '../../db/client.ts';
import { subscribers } from '../../db/schema/index.ts';
import { batchHandler, type BatchOptions } from '../../src/delivery/batch.ts';
import { dispatchEvent } from '../../src/delivery/dispatch.ts';
import { fanoutHandler, type FanoutOptions } from '../../src/delivery/fanout.ts';
import { templatesAlertMail } from '../../src/delivery/alert-mail.ts';
import { providerLimiter } from '../../src/delivery/rate-limit.ts';
import type { JobHandler, OutboxKind } from '../../src/delivery/registry.ts';
import { resendTransport, type Transport } from '../../src/delivery/transport.ts';
import { startWorker, type Worker, type WorkerOptions } from '../../src/delivery/worker.ts';
import type { Ctx } from '../../src/services/context.ts';
import { createFileDatabase, type FileDatabase, makeCtx, type TestClock, testClock } from '../support/db.ts';
import { OPERATOR } from '../integration/factories.ts';

export const FROM = 'Vedetta <status@example.test>';

export type Env = {
  readonly db: Db;
  readonly kind: FileDatabase['kind'];
  clock: TestClock;
  /** A context on the database itself (committed writes), acting as an editor. */
  ctx(): Ctx;
};

export function useDeliveryDatabase(): Env {
  let file: FileDatabase | undefined;
  const clock = testClock();
  beforeAll(async () => {
    file = await createFileDatabase();
  });
  afterAll(async () => {
    await file?.close();
  });
  return {
    get db() {
      return file!.db;
    },
    get kind() {
      return file!.kind;
    },
    clock,
    ctx: () => ({ ...makeCtx(file!.db, { actor: OPERATOR, siteUrl: 'https://status.example.test' }), now: clock.now }),
  };
}

/** Empties everything delivery reads or writes, so each test starts from nothing. */
export async function resetDelivery(db: Db) {
  await db.execute(
    sql`truncate outbox, email_fanouts, email_batches, email_messages, rate_limits, subscribers, events, webhook_deliveries`,
  );
}

export type WorkerSetup = {
  transport?: Transport;
  standinUrl?: string;
  requestsPerSecond?: number;
  checkpoint?: BatchOptions['checkpoint'] & FanoutOptions['checkpoint'];
  chunkSize?: number;
  maxAttempts?: number;
} & Omit<WorkerOptions, 'handlers' | 'kinds' | 'autoStart'>;

/** A worker with the e-mail handlers only, driven by `drain()`. */
export function emailWorker(env: Env, setup: WorkerSetup): Worker {
  // No test here is about the provider's slowness: a generous timeout keeps a loaded CI machine (PostgreSQL and
  // other test files alongside) from turning a slow local answer into a retry that the drain leaves for later.
  const transport = setup.transport ?? resendTransport({ apiKey: 're_test_key', baseUrl: setup.standinUrl!, timeoutMs: 10_000 });
  const limiter = providerLimiter(() => env.db, { requestsPerSecond: setup.requestsPerSecond ?? 1000 });
  const handlers = new Map<OutboxKind, JobHandler>([
    ['event.dispatch', dispatchEvent],
    ['email.fanout', fanoutHandler({ alertMail: templatesAlertMail, chunkSize: setup.chunkSize, checkpoint: setup.checkpoint })],
    [
      'email.batch',
      batchHandler({ transport, limiter, from: FROM, alertMail: templatesAlertMail, checkpoint: setup.checkpoint, maxAttempts: setup.maxAttempts }),
    ],
  ]);
  return startWorker(
    { ctx: () => env.ctx() },
    {
      log: { info: () => {}, error: () => {} },
      ...setup,
      handlers: (kind) => handlers.get(kind),
      kinds: () => [...handlers.keys()],
      autoStart: false,
    },
  );
}

export type SubscriberSeed = { email?: string; locale?: 'it' | 'en'; allServices?: boolean; serviceKeys?: string[]; state?: 'pending' | 'confirmed' | 'unsubscribed' | 'suppressed' };

export async function addSubscribers(db: Db, seeds: SubscriberSeed[]) {
  if (!seeds.length) return [];
  return db
    .insert(subscribers)
    .values(
      seeds.map((s) => ({
        email: s.email ?? `sub-${randomBytes(5).toString('hex')}@example.test`,
        locale: s.locale ?? 'it',
        allServices: s.allServices ?? true,
        serviceKeys: s.serviceKeys ?? [],
        state: s.state ?? 'confirmed',
      })),
    )
    .returning();
}

export const uid = () => randomBytes(4).toString('hex');
