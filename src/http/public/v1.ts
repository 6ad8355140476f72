/**
 * The native public JSON API, for the richer model Statuspage has no words for: recovery plan, data-gap
 * notices, incident FAQ, backlog figures. Same wire convention as the operator API (snake_case, ISO 8601 UTC);
 * texts are `{ text, locale }` (locale: the language the text is actually in, Italian when no translation
 * exists), and Markdown texts also carry `html` (sanitised) for direct display.
 *
 *   GET /api/v1/public/summary            ?lang=en   the home page, without the 90-day bars
 *   GET /api/v1/public/incidents/{id}     ?lang=en   one incident: updates, plan, notices, FAQ, postmortem
 *   GET /api/v1/public/services/{key}     ?lang=en   one service: status, bars, backlog history, incidents
 *   GET /api/v1/public/history            ?lang=en&page=2
 *
 * Mount at /api/v1/public, before the operator API's /api catch-all.
 */
import { type Context, Hono } from 'hono';
import { cors } from 'hono/cors';
import { markdownToPlainText, renderMarkdown } from '../../domain/markdown.ts';
import type { Locale } from '../../domain/vocab.ts';
import { SITE } from '../../i18n/site.ts';
import type { Ctx } from '../../services/context.ts';
import { getHistory, getHomePage, getIncidentPage, getServicePage } from '../../services/read.ts';
import { toWire } from '../v1/wire.ts';
import { answerErrors } from '../faults.ts';
import { CROSS_ORIGIN_READ, type PublicDeps, queryLocale, serve, siteUrl } from './http.ts';
import { phrases } from './texts.ts';

/** Fields whose text is Markdown: they gain `html` (and updates' bodies `plain`, for widgets and tickers). */
const MARKDOWN_KEYS = new Set(['body', 'description', 'answer', 'postmortem', 'action', 'audience', 'delayReason']);

const isText = (v: unknown): v is { text: string; locale: Locale } =>
  typeof v === 'object' && v !== null && !(v instanceof Date) && Object.keys(v).length === 2 && 'text' in v && 'locale' in v;

function withHtml(value: unknown, key?: string): unknown {
  if (value instanceof Date || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => withHtml(v));
  if (isText(value)) {
    return key && MARKDOWN_KEYS.has(key)
      ? { ...value, html: renderMarkdown(value.text), plain: markdownToPlainText(value.text) }
      : value;
  }
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withHtml(v, k)]));
}

const json = (value: unknown) => ({
  body: JSON.stringify(toWire(withHtml(value))),
  contentType: 'application/json; charset=utf-8',
});

const notFound = (message: string) => ({
  body: JSON.stringify({ error: { code: 'not_found', message } }),
  contentType: 'application/json; charset=utf-8',
  status: 404 as const,
});

function links(ctx: Ctx, locale: Locale, path: string) {
  const base = path === '/' ? '' : path;
  return {
    page: siteUrl(ctx, locale, path),
    rss: siteUrl(ctx, locale, `${base}/feed.rss`),
    atom: siteUrl(ctx, locale, `${base}/feed.atom`),
  };
}

export async function buildSummary(ctx: Ctx, locale: Locale, lastChange: Date | null) {
  const home = await getHomePage(ctx, { locale });
  return json({
    page: {
      name: SITE.vendor,
      url: siteUrl(ctx, locale, '/'),
      timeZone: ctx.timeZone,
      locale,
      updatedAt: lastChange ?? home.now,
      generatedAt: home.now,
    },
    status: { indicator: home.indicator, description: home.indicatorText },
    services: home.services.map(({ bars: _bars, id: _id, ...s }) => ({
      ...s,
      permalink: siteUrl(ctx, locale, `/services/${encodeURIComponent(s.key)}`),
    })),
    activeIncidents: home.activeIncidents.map((i) => ({
      ...i,
      permalink: siteUrl(ctx, locale, `/incidents/${encodeURIComponent(i.id)}`),
    })),
    notices: home.notices,
    maintenances: home.maintenances,
    links: links(ctx, locale, '/'),
  });
}

export async function buildIncident(ctx: Ctx, id: string, locale: Locale) {
  const page = await getIncidentPage(ctx, { id, locale });
  if (!page) return notFound(phrases('en').notFoundIncident(id));
  const permalink = siteUrl(ctx, locale, `/incidents/${encodeURIComponent(id)}`);
  return json({
    ...page,
    permalink,
    updates: page.updates.map((u) => ({
      ...u,
      permalink: `${permalink}#update-${u.id}`,
      republish: {
        text: `${ctx.siteUrl}/incidents/${encodeURIComponent(id)}/updates/${encodeURIComponent(u.id)}/republish?format=text&lang=${locale}`,
        html: `${ctx.siteUrl}/incidents/${encodeURIComponent(id)}/updates/${encodeURIComponent(u.id)}/republish?format=html&lang=${locale}`,
      },
    })),
    links: links(ctx, locale, `/incidents/${encodeURIComponent(id)}`),
  });
}

export async function buildService(ctx: Ctx, key: string, locale: Locale) {
  const page = await getServicePage(ctx, { key, locale });
  if (!page) return notFound(phrases('en').notFoundService(key));
  const { id: _id, ...service } = page.service;
  return json({ ...page, service, links: links(ctx, locale, `/services/${encodeURIComponent(key)}`) });
}

export async function buildHistory(ctx: Ctx, locale: Locale, pageNumber: number) {
  const history = await getHistory(ctx, { locale, page: pageNumber });
  return json(history);
}

/** The `/api/v1/public` sub-app. */
export function createPublicV1(deps: PublicDeps) {
  const app = new Hono();
  app.use('*', cors({ origin: '*', allowMethods: ['GET', 'HEAD', 'OPTIONS'], exposeHeaders: ['ETag'], maxAge: 86_400 }));
  const opts = (c: Context, build: Parameters<typeof serve>[2]['build']) =>
    serve(c, deps, { headers: CROSS_ORIGIN_READ, build });
  app.get('/summary', (c) => {
    const locale = queryLocale(c);
    return opts(c, (ctx, v) => buildSummary(ctx, locale, v.lastChange));
  });
  app.get('/incidents/:id', (c) => {
    const locale = queryLocale(c);
    const id = c.req.param('id');
    return opts(c, (ctx) => buildIncident(ctx, id, locale));
  });
  app.get('/services/:key', (c) => {
    const locale = queryLocale(c);
    const key = c.req.param('key');
    return opts(c, (ctx) => buildService(ctx, key, locale));
  });
  app.get('/history', (c) => {
    const locale = queryLocale(c);
    const page = Math.max(1, Number.parseInt(c.req.query('page') ?? '1', 10) || 1);
    return opts(c, (ctx) => buildHistory(ctx, locale, page));
  });
  app.all('*', (c) =>
    c.req.method === 'GET' || c.req.method === 'HEAD'
      ? c.json({ error: { code: 'not_found', message: `No API route ${c.req.method} ${c.req.path}.` } }, 404, CROSS_ORIGIN_READ)
      : c.json(
          { error: { code: 'method_not_allowed', message: `${c.req.method} is not allowed here: the public API is read-only (GET).` } },
          405,
          { ...CROSS_ORIGIN_READ, Allow: 'GET, HEAD, OPTIONS' },
        ),
  );
  app.onError(answerErrors((c) => c.json({ error: { code: 'internal', message: 'Internal error.' } }, 500, CROSS_ORIGIN_READ)));
  return app;
}
