/**
 * Two app instances on one PostgreSQL, started at the same moment on an EMPTY database, as a rolling deploy or
 * an autoscaler does: both boot (migrations run once, under the advisory lock), both serve, and a write through
 * one is visible on the other's public JSON (instances learn of writes through LISTEN/NOTIFY), and the two
 * instances' delivery workers share one alert's e-mails without sending any address twice.
 *
 * PGlite is one process per data folder, so there is no second instance to start there: this runs only in the
 * PostgreSQL pass (TEST_DATABASE_URL set), like the migration-race test in tests/db/client.test.ts.
 */
import postgres from 'postgres';
import { describe, expect, it } from 'vitest';
import { createScratchDatabase, testDatabaseUrl } from '../support/pg.ts';
import { startResendStandin } from '../support/resend-standin.ts';
import { type RunningServer, startServer } from '../support/server.ts';
import { createTokenWithCli, until } from './ops-support.ts';

const serverUrl = testDatabaseUrl();

describe.runIf(serverUrl)('two instances on one PostgreSQL (needs TEST_DATABASE_URL: PGlite cannot be shared by two processes)', () => {
  it('boot together on an empty database, both serve, a write through one shows on the other, no e-mail is doubled', { timeout: 300_000 }, async () => {
    const scratch = await createScratchDatabase(serverUrl!, 'scale');
    const resend = await startResendStandin();
    const env = {
      // Both instances' workers send through the same Resend stand-in.
      RESEND_API_KEY: 're_scale_test',
      RESEND_BASE_URL: resend.url,
      DATABASE_URL: scratch.url,
      VEDETTA_DEMO: 'off',
      // The same first administrator for both: whichever boots first creates it, the other finds it.
      ADMIN_EMAIL: 'ops@example.com',
      ADMIN_PASSWORD: 'a-long-enough-password',
    };
    const started = await Promise.allSettled([startServer(env), startServer(env)]);
    const servers = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    try {
      const failed = started.flatMap((s) => (s.status === 'rejected' ? [String(s.reason)] : []));
      expect(failed, failed.join('\n')).toEqual([]);
      const [a, b] = servers as [RunningServer, RunningServer];

      for (const s of [a, b]) {
        const ready = await fetch(`${s.url}/readyz`);
        expect(ready.status, s.logs()).toBe(200);
        expect((await ready.json()).migrations.applied).toBeGreaterThan(0);
        expect((await fetch(`${s.url}/api/v2/summary.json`)).status).toBe(200);
      }
      // Read through B first, so B holds the old content in its cache and must learn about the write.
      const key = `scale-${Date.now()}`;
      expect(await (await fetch(`${b.url}/api/v2/components.json`)).text()).not.toContain(key);

      const token = await createTokenWithCli(scratch.url, 'write');
      const created = await fetch(`${a.url}/api/v1/services`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ key, name: { it: `Servizio ${key}`, en: `Service ${key}` } }),
      });
      expect(created.status, await created.clone().text()).toBe(201);
      // Visibility, not time: poll B until the new service is there (the promise is 1 s; the deadline is generous).
      const seen = await until(
        'the write through A to show on B',
        async () => ((await (await fetch(`${b.url}/api/v2/components.json`)).text()).includes(`Servizio ${key}`) ? true : undefined),
        10_000,
      );
      expect(seen).toBe(true);

      // 250 confirmed subscribers (3 batches of up to 100), then an incident with notify: both workers poll.
      const SUBSCRIBERS = 250;
      const sql = postgres(scratch.url, { max: 1, onnotice: () => {} });
      try {
        await sql`insert into subscribers (id, email, state, consent, confirmed_at, source)
          select 'scale-sub-' || g, 'reader' || g || '@example.com', 'confirmed', 'operator_attested', now(), 'import'
          from generate_series(1, ${SUBSCRIBERS}) g`;
      } finally {
        await sql.end({ timeout: 5 });
      }
      const admin = await createTokenWithCli(scratch.url, 'admin');
      const incident = await fetch(`${b.url}/api/v1/incidents`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${admin}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({
          title: { it: 'Disservizio di prova', en: 'Test outage' },
          impact: 'major',
          body: { it: 'Stiamo verificando.', en: 'We are looking into it.' },
          services: [{ service: key, status: 'major_outage' }],
        }),
      });
      expect(incident.status, await incident.clone().text()).toBe(201);
      await until('every subscriber to get the alert', async () => (resend.perAddress.size >= SUBSCRIBERS ? true : undefined), 60_000, 200);
      // Count only once the shared outbox is empty: a doubled send would have happened by then.
      await until(
        'the outbox to drain',
        async () => {
          const db = postgres(scratch.url, { max: 1, onnotice: () => {} });
          try {
            const [row] = await db`select count(*)::int as n from outbox where state = 'pending'`;
            return row?.n === 0 ? true : undefined;
          } finally {
            await db.end({ timeout: 5 });
          }
        },
        30_000,
        200,
      );
      const doubled = [...resend.perAddress].filter(([, n]) => n !== 1);
      expect(doubled, JSON.stringify(doubled.slice(0, 5))).toEqual([]);
      expect(resend.perAddress.size).toBe(SUBSCRIBERS);
    } finally {
      await Promise.all(servers.map((s) => s.stop()));
      await resend.close();
      await scratch.drop();
    }
  });
});
