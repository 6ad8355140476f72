import { Hono } from 'hono';
import { secureHeaders } from 'hono/secure-headers';
import { getFetchState, i18n, middleware, pages } from 'astro/hono';
import { loadConfig } from './config.ts';
import { startRuntime } from './app/runtime.ts';
import { createApi } from './http/api.ts';
import { consoleSession } from './http/console-session.ts';
import { createPublicRoutes } from './http/public/index.ts';

/**
 * The one request entry (Astro's advanced routing): the JSON API first, then Astro's pipeline. Both use the
 * same runtime, so the process holds exactly one database client.
 */
const runtime = await startRuntime(loadConfig());
installShutdown(runtime.close);

const app = new Hono();
app.use(
  '*',
  secureHeaders({
    contentSecurityPolicy: {
      defaultSrc: ["'self'"],
      scriptSrc: ["'self'"],
      // Astro inlines small stylesheets into the page; nothing else is inline.
      styleSrc: ["'self'", "'unsafe-inline'"],
      imgSrc: ["'self'", 'data:'],
      objectSrc: ["'none'"],
      baseUri: ["'none'"],
      formAction: ["'self'"],
      frameAncestors: ["'none'"],
    },
    referrerPolicy: 'strict-origin-when-cross-origin',
    // CSP frame-ancestors governs framing; X-Frame-Options could only contradict it on the widget frame.
    xFrameOptions: false,
    // A route that must differ (the embeddable widget frame allows framing; badges and feeds are
    // cross-origin resources) sets the header itself, and that value is kept.
    overwrite: false,
  }),
);
// Feeds, badges, widget frame, republishing, /api/v2 (Statuspage) and /api/v1/public: before the /api catch-all.
app.route('/', createPublicRoutes({ ctx: runtime.ctx }));
app.route('/api', createApi({ ctx: runtime.ctx, databaseKind: runtime.database.kind }));
app.use('*', async (c, next) => {
  getFetchState(c).locals.ctx = runtime.ctx();
  await next();
});
app.use('*', consoleSession()); // the operator behind the console's session cookie (/admin only)
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
