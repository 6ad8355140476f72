import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { configureLog } from '../../../src/app/log.ts';
import { startRuntime } from '../../../src/app/runtime.ts';
import { SCHEDULER_ACTOR, startScheduler } from '../../../src/app/scheduler.ts';
import { type Config, loadConfig } from '../../../src/config.ts';
import { listOperators, signIn } from '../../../src/services/auth.ts';
import type { Actor, Ctx } from '../../../src/services/context.ts';
import { scheduleMaintenance } from '../../../src/services/maintenance.ts';
import { dbTest as test } from '../../support/db.ts';
import type { LogLine } from '../../support/logs.ts';
import { MIGRATIONS_DIR } from '../../support/paths.ts';
import { HOUR, SYSTEM_ACTOR, ctxFor, makeService } from './helpers.ts';

const quietLog = () => ({ info: vi.fn(), error: vi.fn() });

describe('startScheduler', { timeout: 120_000 }, () => {
  test('a tick starts due maintenance with the injected clock, acting as the scheduler', async ({ db }) => {
    const ctx = ctxFor(db, { actor: SYSTEM_ACTOR, now: '2026-03-14T10:00:00Z' });
    const svc = await makeService(ctx, { since: new Date(ctx.now().getTime() - HOUR) });
    const m = await scheduleMaintenance(ctx, {
      title: { it: 'Notturna' },
      services: [svc.key],
      scheduledStart: new Date(ctx.now().getTime() + HOUR),
      scheduledEnd: new Date(ctx.now().getTime() + 2 * HOUR),
    });
    const actors: Actor[] = [];
    const host = { ctx: (actor?: Actor): Ctx => (actors.push(actor!), { ...ctx, actor: actor! }) };
    const log = quietLog();
    const scheduler = startScheduler(host, { autoStart: false, log });
    expect((await scheduler.runOnce()).started).toEqual([]);
    ctx.clock.advance(HOUR);
    const tick = await scheduler.runOnce();
    expect(tick).toMatchObject({ started: [m.id], errors: 0 });
    expect(actors.every((a) => a.kind === SCHEDULER_ACTOR.kind && a.id === 'scheduler')).toBe(true);
    expect(log.info).toHaveBeenCalledWith(expect.stringContaining(m.id));
    await scheduler.stop();
  });
});

describe('scheduler timer', () => {
  const broken = (): { ctx: () => Ctx; calls: () => number } => {
    let calls = 0;
    const db = new Proxy({}, { get: () => { throw new Error('database unavailable'); } }) as Ctx['db'];
    return {
      ctx: () => {
        calls++;
        return { db, now: () => new Date(), actor: SCHEDULER_ACTOR, timeZone: 'Europe/Rome', siteUrl: 'http://x' };
      },
      calls: () => calls,
    };
  };

  it('logs failing jobs instead of throwing, ticks on its own, and stops', async () => {
    const host = broken();
    const log = quietLog();
    const scheduler = startScheduler(host, { intervalMs: 100, log });
    const tick = await scheduler.runOnce();
    expect(tick.errors).toBeGreaterThanOrEqual(2);
    expect(log.error).toHaveBeenCalledWith(expect.stringContaining('maintenance transitions failed'), expect.any(Error));
    await vi.waitFor(() => expect(host.calls()).toBeGreaterThanOrEqual(3), { timeout: 5000, interval: 50 });
    await scheduler.stop();
    const after = host.calls();
    await new Promise((r) => setTimeout(r, 350));
    expect(host.calls()).toBe(after);
  });
});

describe('startRuntime', { timeout: 300_000 }, () => {
  const config = (dataDir: string, extra: Partial<Config> = {}): Config => ({
    databaseUrl: undefined,
    dataDir,
    siteUrl: 'https://status.example.test',
    timeZone: 'Europe/Rome',
    demo: false,
    demoDay: 19,
    migrationsDir: MIGRATIONS_DIR,
    ...extra,
  });

  /** The log lines written while `body` runs. */
  async function logged<T>(body: () => Promise<T>): Promise<[T, LogLine[]]> {
    const lines: LogLine[] = [];
    configureLog({ level: 'debug', write: (line) => lines.push(JSON.parse(line) as LogLine) });
    try {
      return [await body(), lines];
    } finally {
      configureLog({});
    }
  }

  it('creates the first administrator once and logs its one-time password once, in a field of its own', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vedetta-rt-'));
    try {
      const [first, lines] = await logged(() => startRuntime(config(dir), { scheduler: false }));
      expect(first.scheduler).toBeNull();
      const created = lines.find((l) => l.msg.startsWith('first run:'));
      expect(created).toMatchObject({ level: 'warn', signIn: 'https://status.example.test/admin', email: 'admin@vedetta.local' });
      expect(created?.msg).toMatch(/shown only this once/);
      const password = created?.password;
      expect(typeof password).toBe('string');
      const sys = first.ctx(SYSTEM_ACTOR);
      expect((await listOperators(sys)).map((o) => [o.email, o.role])).toEqual([['admin@vedetta.local', 'admin']]);
      await expect(signIn(sys, { email: 'admin@vedetta.local', password: String(password), client: 't' })).resolves.toBeDefined();
      await first.close();

      const [second, again] = await logged(() => startRuntime(config(dir), { scheduler: false }));
      expect(JSON.stringify(again)).not.toMatch(/password|administrator/);
      await second.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('takes the administrator from the configuration, and runs the scheduler until closed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vedetta-rt-'));
    try {
      const [runtime, lines] = await logged(() =>
        startRuntime(config(dir, { adminEmail: 'ops@example.test', adminPassword: 'a configured password', schedulerIntervalMs: 100 })),
      );
      expect(lines.find((l) => l.msg.startsWith('first run:'))).toMatchObject({ level: 'info', email: 'ops@example.test' });
      expect(JSON.stringify(lines)).not.toContain('a configured password');
      expect(runtime.scheduler).not.toBeNull();
      expect((await runtime.scheduler!.runOnce()).errors).toBe(0);
      await runtime.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reads ADMIN_EMAIL, ADMIN_PASSWORD and SCHEDULER_INTERVAL_MS, and names a wrong one', () => {
    const c = loadConfig({ ADMIN_EMAIL: ' Ops@Example.TEST ', ADMIN_PASSWORD: 'long enough password', SCHEDULER_INTERVAL_MS: '0' });
    expect(c).toMatchObject({ adminEmail: 'ops@example.test', adminPassword: 'long enough password', schedulerIntervalMs: 0 });
    expect(loadConfig({}).schedulerIntervalMs).toBe(5000);
    expect(() => loadConfig({ ADMIN_EMAIL: 'nope' })).toThrow(/ADMIN_EMAIL/);
    expect(() => loadConfig({ ADMIN_PASSWORD: 'short' })).toThrow(/ADMIN_PASSWORD/);
    expect(() => loadConfig({ SITE_URL: 'ftp://status.example.test' })).toThrow(/SITE_URL: must be an http/);
    expect(() => loadConfig({ DATABASE_URL: 'mysql://u@localhost/db' })).toThrow(/DATABASE_URL: must be a postgres/);
    expect(loadConfig({ DATABASE_URL: 'postgresql://u@localhost/db', SITE_URL: 'https://status.example.test/' }).siteUrl).toBe('https://status.example.test');
  });
});
