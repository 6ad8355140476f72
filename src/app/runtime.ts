import type { Config } from '../config.ts';
import { type Database, openDatabase } from '../../db/client.ts';
import { type Actor, type Ctx, SYSTEM_ACTOR } from '../services/context.ts';
import { ensureFirstAdmin } from '../services/auth.ts';
import { countServices } from '../services/catalog.ts';
import { loadDemoScenario } from '../demo/scenario.ts';
import { yieldToReaders } from './slices.ts';
import { DEFAULT_SCHEDULER_INTERVAL_MS, type Scheduler, startScheduler } from './scheduler.ts';
import { type Delivery, installDelivery } from '../delivery/setup.ts';
// WEBHOOKS_ALLOW_PRIVATE, given to the webhook module before any request or delivery job runs.
import { configureWebhooks } from '../webhooks/index.ts';
import { log } from './log.ts';

export type Runtime = {
  config: Config;
  database: Database;
  /** A service context for one request or job; each call reads the clock afresh. */
  ctx(actor?: Actor): Ctx;
  /** The background jobs of this instance, or null when started without them. */
  scheduler: Scheduler | null;
  /** The e-mail/webhook delivery worker of this instance, or null (WORKER=off, or `delivery: false`). */
  delivery: Delivery | null;
  close(): Promise<void>;
};

export type RuntimeOptions = {
  /** The clock every context reads (tests move it). */
  clock?: () => Date;
  /**
   * false: no background jobs (tests call `runScheduledTransitions` / `expireHeartbeats` themselves).
   * Default: on, every `config.schedulerIntervalMs` (5 s; 0 in the config also turns it off).
   */
  scheduler?: false | { intervalMs?: number };
  /** false: do not create the first administrator of an empty installation (default true). */
  firstAdmin?: boolean;
  /** false: no delivery worker (tests drive their own); default: on unless WORKER=off. */
  delivery?: false;
};

/**
 * Opens the database, applies migrations, loads the demo into an empty database, creates the first administrator
 * of an empty installation, and starts the scheduler. The second argument is the clock (older callers) or options.
 */
export async function startRuntime(config: Config, clockOrOptions: (() => Date) | RuntimeOptions = {}): Promise<Runtime> {
  const opts: RuntimeOptions = typeof clockOrOptions === 'function' ? { clock: clockOrOptions } : clockOrOptions;
  const clock = opts.clock ?? (() => new Date());
  configureWebhooks(config);
  const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, beforeEmbeddedQuery: yieldToReaders });
  try {
    await database.migrate(config.migrationsDir);
    const ctx = (actor: Actor = { kind: 'public', id: 'anonymous' }): Ctx => ({
      db: database.db,
      now: clock,
      actor,
      timeZone: config.timeZone,
      siteUrl: config.siteUrl,
    });
    if (config.demo && (await countServices(ctx())) === 0) {
      await loadDemoScenario(ctx(SYSTEM_ACTOR), { today: clock(), day: config.demoDay });
      log.info('demo scenario loaded into the empty database (VEDETTA_DEMO=off to skip)');
    }
    if (opts.firstAdmin !== false) await createFirstAdmin(ctx(SYSTEM_ACTOR), config);

    const intervalMs = opts.scheduler === false ? 0 : (opts.scheduler?.intervalMs ?? config.schedulerIntervalMs ?? DEFAULT_SCHEDULER_INTERVAL_MS);
    const scheduler = intervalMs > 0 ? startScheduler({ ctx }, { intervalMs }) : null;
    const delivery = opts.delivery !== false && config.worker !== false ? installDelivery({ ctx }, config) : null;
    let closing: Promise<void> | undefined;
    const close = () =>
      (closing ??= (async () => {
        // Let a running tick finish before the database goes away.
        await scheduler?.stop();
        // Running sends finish and claimed rows are handed back, so another instance takes them at once.
        await delivery?.stop();
        await database.close();
      })());
    return { config, database, ctx, scheduler, delivery, close };
  } catch (error) {
    await database.close();
    throw error;
  }
}

/**
 * An empty installation gets one administrator: from ADMIN_EMAIL / ADMIN_PASSWORD, or with a generated password
 * logged here once (it is stored only as a hash). No other operator is ever created on its own, demo or not.
 */
async function createFirstAdmin(ctx: Ctx, config: Config) {
  const created = await ensureFirstAdmin(ctx, { email: config.adminEmail, password: config.adminPassword });
  if (!created) return;
  const signIn = `${config.siteUrl}/admin`;
  if (!created.generatedPassword) {
    log.info('first run: created the administrator with the password from ADMIN_PASSWORD', { email: created.email, signIn });
    return;
  }
  // At warn, so that LOG_LEVEL=warn still shows it: there is no other copy of this password.
  log.warn(
    'first run: created an administrator with a generated password, shown only this once in this line (it is stored as a hash). ' +
      `Sign in and change it, or reset it with: npm run admin -- reset-password --email ${created.email}. ` +
      'To choose both instead, set ADMIN_EMAIL and ADMIN_PASSWORD before the first start',
    { signIn, email: created.email, password: created.generatedPassword },
  );
}
