/**
 * The real `node src/cli/worker.ts` process, killed with SIGKILL in the middle of a fan-out, stopped with SIGTERM
 * in the middle of the rest, and started again until idle: every confirmed subscriber ends with exactly one
 * e-mail. The process sends through the real Resend SDK to the stand-in.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openDatabase } from '../../db/client.ts';
import { emailMessages, outbox, subscribers } from '../../db/schema/index.ts';
import { createService } from '../../src/services/catalog.ts';
import type { Ctx } from '../../src/services/context.ts';
import { createIncident } from '../../src/services/incidents.ts';
import { MIGRATIONS_DIR } from '../support/paths.ts';
import { type ResendStandin, startResendStandin } from '../support/resend-standin.ts';
import { OPERATOR } from '../integration/factories.ts';

const SUBSCRIBERS = 700;
let dataDir: string;
let standin: ResendStandin;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'vedetta-worker-'));
  standin = await startResendStandin({ ratePerSecond: 2 });
});
afterAll(async () => {
  await standin?.close();
  await rm(dataDir, { recursive: true, force: true });
});

/** The database is opened only while no worker runs: PGlite allows one process per folder. */
async function withDatabase<T>(fn: (ctx: Ctx) => Promise<T>): Promise<T> {
  const database = await openDatabase({ dataDir });
  try {
    await database.migrate(MIGRATIONS_DIR);
    return await fn({ db: database.db, now: () => new Date(), actor: OPERATOR, timeZone: 'Europe/Rome', siteUrl: 'https://status.example.test' });
  } finally {
    await database.close();
  }
}

function startWorkerProcess(...flags: string[]): ChildProcess {
  return spawn(process.execPath, ['src/cli/worker.ts', '--lease-ms', '1500', ...flags], {
    env: {
      ...process.env,
      DATA_DIR: dataDir,
      DATABASE_URL: '',
      RESEND_API_KEY: 're_test_key',
      RESEND_BASE_URL: standin.url,
      EMAIL_RATE_LIMIT: '2',
      VEDETTA_DEMO: 'off',
      SCHEDULER_INTERVAL_MS: '0',
      SITE_URL: 'https://status.example.test',
    },
    // Inherited output: an unread pipe would fill up and block the child.
    stdio: ['ignore', 'inherit', 'inherit'],
  });
}

async function untilAccepted(n: number, child: ChildProcess) {
  let exited = false;
  child.once('exit', () => (exited = true));
  while (standin.perAddress.size < n) {
    if (exited) throw new Error('the worker exited early');
    await new Promise((r) => setTimeout(r, 50));
  }
}

it('a worker process killed mid-fan-out and restarted sends every subscriber exactly one e-mail', { timeout: 240_000 }, async () => {
  const emails = await withDatabase(async (ctx) => {
    const service = await createService(ctx, { key: 'fatture', name: { it: 'Fatture', en: 'Invoices' } });
    await ctx.db.execute(sql`
      insert into subscribers (id, email, locale, all_services, service_keys, state)
      select 'p' || lpad(g::text, 11, '0'), 'p' || g || '@example.test', case when g % 2 = 0 then 'en' else 'it' end, g % 3 <> 0,
             case when g % 3 = 0 then '["fatture"]'::jsonb else '[]'::jsonb end, 'confirmed'
      from generate_series(1, ${SUBSCRIBERS}) g`);
    await createIncident(ctx, {
      title: { it: 'Fatture in ritardo', en: 'Invoices delayed' },
      impact: 'major',
      body: { it: 'Verifica in corso.', en: 'Investigating.' },
      services: [{ service: service.key, status: 'major_outage' }],
    });
    return ctx.db.select({ email: subscribers.email }).from(subscribers);
  });
  expect(emails).toHaveLength(SUBSCRIBERS);

  // 1. SIGKILL once two batches went out: whatever it had claimed stays leased until the lease runs out.
  const first = startWorkerProcess();
  await untilAccepted(200, first);
  first.kill('SIGKILL');
  await once(first, 'exit');
  expect(standin.perAddress.size).toBeLessThan(SUBSCRIBERS);

  // 2. SIGTERM after two more: it finishes the send in flight, hands its claims back and exits cleanly.
  const second = startWorkerProcess();
  const sizeBefore = standin.perAddress.size;
  await untilAccepted(sizeBefore + 200, second);
  second.kill('SIGTERM');
  const [code] = (await once(second, 'exit')) as [number | null];
  expect(code).toBe(0);
  const leased = await withDatabase((ctx) =>
    ctx.db.select().from(outbox).where(sql`${outbox.state} = 'pending' and ${outbox.lockedUntil} is not null`),
  );
  expect(leased).toEqual([]);

  // 3. Until idle.
  const third = startWorkerProcess('--exit-when-idle');
  const [lastCode] = (await once(third, 'exit')) as [number | null];
  expect(lastCode).toBe(0);

  expect(standin.perAddress.size).toBe(SUBSCRIBERS);
  for (const { email } of emails) expect(standin.perAddress.get(email), email).toBe(1);
  const states = await withDatabase((ctx) => ctx.db.select({ state: emailMessages.state }).from(emailMessages));
  expect(states).toHaveLength(SUBSCRIBERS);
  expect(states.every((s) => s.state === 'sent')).toBe(true);
});
