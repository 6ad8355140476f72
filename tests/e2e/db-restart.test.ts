/**
 * PostgreSQL goes away under read load and comes back. The built server runs on a PostgreSQL of this test's own
 * (initdb + pg_ctl: the shared test server is never restarted). While readers keep fetching the public pages:
 * - no public read answers a 5xx (they come from the last known content in memory);
 * - an API write during the outage answers 503 `database_unavailable` with Retry-After, and /readyz 503;
 * - once the database is back the same write succeeds, /readyz is 200 again, and the process never died.
 * The server is stopped (`pg_ctl stop -m fast`, what `restart -m fast` does first) and started as two steps so
 * the test can act inside the outage instead of racing a restart that takes a second.
 *
 * Runs in the PostgreSQL pass (TEST_DATABASE_URL set, as CI's test:pg) where the server binaries exist.
 */
import { describe, expect, it } from 'vitest';
import { testDatabaseUrl } from '../support/pg.ts';
import { startServer } from '../support/server.ts';
import { createTokenWithCli, hasPostgresBinaries, startOwnPostgres, until } from './ops-support.ts';

const READ_PATHS = ['/', '/en/', '/history', '/api/v2/summary.json', '/feed.rss'];

describe.runIf(testDatabaseUrl() && hasPostgresBinaries())('PostgreSQL restart under read load (needs PostgreSQL binaries and TEST_DATABASE_URL)', () => {
  it('reads keep answering, writes get a clear 503 and succeed once the database is back', { timeout: 300_000 }, async () => {
    const pg = await startOwnPostgres();
    const server = await startServer({ DATABASE_URL: pg.url, VEDETTA_DEMO: 'on', SCHEDULER_INTERVAL_MS: '1000' }).catch(async (error) => {
      await pg.destroy();
      throw error;
    });
    let reading = true;
    try {
      const token = await createTokenWithCli(pg.url, 'write');
      const write = (key: string) =>
        fetch(`${server.url}/api/v1/services`, {
          method: 'POST',
          headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
          body: JSON.stringify({ key, name: { it: 'Servizio scritto durante il riavvio', en: 'Service written during the restart' } }),
        });
      // Every page read once, so the last known content exists before the outage.
      for (const path of READ_PATHS) expect((await fetch(`${server.url}${path}`)).status, path).toBe(200);

      const failures: string[] = [];
      let reads = 0;
      const readers = Array.from({ length: 4 }, async (_, n) => {
        for (let i = n; reading; i++) {
          const path = READ_PATHS[i % READ_PATHS.length]!;
          try {
            const res = await fetch(`${server.url}${path}`);
            await res.arrayBuffer();
            reads++;
            if (res.status >= 500) failures.push(`${path} → ${res.status}`);
          } catch (error) {
            failures.push(`${path} → ${String(error)}`);
          }
        }
      });

      await pg.stop();
      const during = await write('written-during-outage');
      expect(during.status).toBe(503);
      expect(during.headers.get('retry-after')).toBe('5');
      const body = await during.json();
      expect(body.error.code).toBe('database_unavailable');
      expect(body.requestId).toBe(during.headers.get('x-request-id'));
      const notReady = await fetch(`${server.url}/readyz`);
      expect(notReady.status).toBe(503);
      expect((await notReady.json()).database).toBe('unreachable');
      // Some reads happen while it is down (not a timing assertion: the count only has to move).
      const readsBefore = reads;
      await until('reads during the outage', async () => (reads > readsBefore + 20 ? true : undefined));

      await pg.start();
      await until('/readyz to answer 200 again', async () => ((await fetch(`${server.url}/readyz`)).status === 200 ? true : undefined));
      // The pool reconnects by itself: the very write refused during the outage now goes through.
      const after = await until('the write to succeed', async () => {
        const res = await write('written-during-outage');
        if (res.status === 201) return res;
        expect(res.status, await res.text()).toBe(503); // still reconnecting is fine, a 500 is not
        return undefined;
      });
      expect((await after.json()).key).toBe('written-during-outage');

      reading = false;
      await Promise.all(readers);
      expect(failures, failures.slice(0, 5).join('\n')).toEqual([]);
      expect(reads).toBeGreaterThan(0);
      // The scheduler and worker ticks failed during the outage without taking the process down.
      expect(server.logs()).not.toMatch(/exited|Unhandled/);
      const health = await fetch(`${server.url}/healthz`);
      expect(health.status).toBe(200);
    } finally {
      reading = false;
      await server.stop();
      await pg.destroy();
    }
  });
});
