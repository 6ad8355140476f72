import { Hono } from 'hono';
import { getFetchState, i18n, middleware, pages } from 'astro/hono';
import { loadConfig } from './config.ts';
import { startRuntime } from './app/runtime.ts';
import { createApi } from './http/api.ts';

/**
 * The one request entry (Astro's advanced routing): the JSON API first, then Astro's pipeline. Both use the
 * same runtime, so the process holds exactly one database client.
 */
const runtime = await startRuntime(loadConfig());
installShutdown(runtime.close);

const app = new Hono();
app.route('/api', createApi(runtime));
app.use('*', async (c, next) => {
  getFetchState(c).locals.ctx = runtime.ctx();
  await next();
});
app.use('*', i18n());
app.use('*', middleware());
app.use('*', pages());

export default app;

function installShutdown(close: () => Promise<void>) {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      // PGlite must flush and release its folder lock before the process goes.
      close().finally(() => process.exit(0));
    });
  }
}
