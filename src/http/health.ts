import { Hono } from 'hono';
import type { Ctx } from '../services/context.ts';
import { checkReadiness } from '../services/ops.ts';

/**
 * Probes for orchestrators and load balancers, answered before anything else and never cached:
 * - `/healthz`: the process is up and its event loop answers (liveness; never touches the database, so a
 *   database outage does not get healthy instances killed);
 * - `/readyz`: this instance can serve writes: the database answers within `timeoutMs`, every migration this
 *   build ships is applied, and the instance is not shutting down (so a balancer stops sending it traffic).
 */
export function createHealthRoutes(deps: { ctx(): Ctx; migrationsDir: string; timeoutMs: number; draining(): boolean }) {
  const app = new Hono();
  const noStore = { 'Cache-Control': 'no-store' };
  app.get('/healthz', (c) => c.json({ status: 'ok' }, 200, noStore));
  app.get('/readyz', async (c) => {
    if (deps.draining()) return c.json({ status: 'draining' }, 503, noStore);
    const readiness = await checkReadiness(deps.ctx(), { migrationsDir: deps.migrationsDir, timeoutMs: deps.timeoutMs });
    if (readiness.ready) {
      return c.json({ status: 'ready', database: 'ok', migrations: { applied: readiness.applied, expected: readiness.expected } }, 200, noStore);
    }
    if (readiness.database === 'unreachable') {
      return c.json({ status: 'unavailable', database: 'unreachable', reason: readiness.reason }, 503, { ...noStore, 'Retry-After': '5' });
    }
    return c.json(
      { status: 'unavailable', database: 'ok', migrations: { applied: readiness.applied, expected: readiness.expected, state: 'pending' } },
      503,
      noStore,
    );
  });
  return app;
}
