import { Hono } from 'hono';
import { secureHeaders } from 'hono/secure-headers';
import { getFetchState, i18n, middleware, pages } from 'astro/hono';
import { loadConfig } from './config.ts';
import { startRuntime } from './app/runtime.ts';
import { createApi } from './http/api.ts';
import { consoleSession } from './http/console-session.ts';
import { createPublicRoutes } from './http/public/index.ts';
import { configureLog } from './app/log.ts';
import { installShutdown, isDraining } from './app/lifecycle.ts';
import { createHealthRoutes } from './http/health.ts';
import { createMetricsRoute, observability } from './http/observability.ts';
import { standardReasonPhrase } from './http/reason-phrase.ts';
import { databaseFaults, onAppError } from './http/faults.ts';
import { publicCacheMiddleware } from './http/cache/middleware.ts';
import { publicCache } from './http/cache/store.ts';
import { watchContentVersion } from './http/cache/watch.ts';
import { mailDir } from './delivery/setup.ts';
import { pageBodyLimit } from './http/body-limit.ts';

/**
 * The one request entry (Astro's advanced routing): the JSON API first, then Astro's pipeline. Both use the
 * same runtime, so the process holds exactly one database client.
 */
const config = loadConfig();
configureLog({ level: config.logLevel });
const runtime = await startRuntime(config);
// The public cache (also read by the fast path in src/server/entry.ts) follows the content version from here.
publicCache.useClock(() => runtime.ctx().now().getTime());
const contentWatcher = await watchContentVersion({ database: runtime.database, ctx: () => runtime.ctx(), cache: publicCache });
const closeAll = async () => {
  await contentWatcher.stop();
  await runtime.close();
};
installShutdown(closeAll, { graceMs: config.shutdownGraceMs ?? 10_000 });

const app = new Hono();
// Outermost, so that it sees every answer last, error pages included.
app.use('*', standardReasonPhrase());
// Request id, JSON log line and metrics for every request, so it runs before anything that answers.
app.use('*', observability());
// Before any route reads a body (the provider's webhook among them).
app.use('*', pageBodyLimit());
// Probes and the metrics scrape: answered before anything that could touch the database or a session.
app.route('/', createHealthRoutes({ ctx: () => runtime.ctx(), migrationsDir: config.migrationsDir, timeoutMs: 2_000, draining: isDraining }));
app.route('/', createMetricsRoute({ token: config.metricsToken, ctx: () => runtime.ctx() }));
// Public pages, feeds and JSON from memory (src/http/cache); before secureHeaders, so stored answers carry them.
app.use('*', publicCacheMiddleware({ cache: publicCache, ctx: () => runtime.ctx(), watcher: contentWatcher }));
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
// A page that failed because the database is down answers 503 + Retry-After (after secureHeaders: it keeps them).
app.use('*', databaseFaults({ ctx: () => runtime.ctx() }));
// Feeds, badges, widget frame, republishing, /api/v2 (Statuspage) and /api/v1/public: before the /api catch-all.
app.route('/', createPublicRoutes({ ctx: runtime.ctx, resendWebhookSecret: config.resendWebhookSecret }));
app.route('/api', createApi({ ctx: runtime.ctx, databaseKind: runtime.database.kind }));
app.use('*', async (c, next) => {
  const state = getFetchState(c);
  state.locals.ctx = runtime.ctx();
  // Where the embedded transport writes e-mails, for the console's mail list (the only config a page needs).
  state.locals.mailDir = mailDir(config);
  state.locals.trustedProxies = config.trustProxy ?? 0;
  // Pages are rendered into one string, not streamed: the public cache keeps whole pages anyway, and streaming
  // a large page as thousands of small chunks costs CPU in the one event loop that also serves the readers.
  state.streaming = false;
  await next();
});
app.use('*', consoleSession()); // the operator behind the console's session cookie (/admin only)
app.use('*', i18n());
app.use('*', middleware());
app.use('*', pages());
app.onError(onAppError);

export default app;
