/**
 * The widget's <iframe> fallback, `/widget/v1/frame?lang=en&theme=light|dark|auto`: a tiny server-rendered page
 * with the overall status, the active incident's latest update and links to the status page. For partner
 * sites that cannot run third-party scripts (strict CSP, CMS filters). No script, no cookies, no requests of
 * its own; refreshes itself every minute.
 *
 * This is the one route of the site that may be framed: it sends its own CSP with `frame-ancestors *`, which
 * browsers honour over the site-wide X-Frame-Options.
 */
import { Hono } from 'hono';
import { formatDateTime } from '../../domain/time.ts';
import type { Indicator, Locale } from '../../domain/vocab.ts';
import { SITE } from '../../i18n/site.ts';
import type { Ctx } from '../../services/context.ts';
import { getHomePage } from '../../services/read.ts';
import { markdownToPlainText } from '../../domain/markdown.ts';
import { type Built, type PublicDeps, escapeHtml, queryLocale, serve, siteUrl, stripInvalidXmlChars } from './http.ts';
import { incidentStatusLabel, phrases } from './texts.ts';

export type WidgetTheme = 'light' | 'dark' | 'auto';

export const FRAME_CSP =
  "default-src 'none'; style-src 'unsafe-inline'; img-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors *";

/** Shared with public/widget/v1.js: same look in the script and the frame. */
const CSS = `
:host,body{margin:0}
.vw{--bg:#fff;--fg:#1f2328;--muted:#57606a;--border:#d0d7de;--link:#0a5fb4;
 font:14px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg);
 border:1px solid var(--border);border-radius:8px;padding:10px 12px;box-sizing:border-box;max-width:420px;min-width:200px}
.vw.dark{--bg:#0d1117;--fg:#e6edf3;--muted:#9da7b3;--border:#30363d;--link:#6cb6ff}
@media (prefers-color-scheme:dark){.vw.auto{--bg:#0d1117;--fg:#e6edf3;--muted:#9da7b3;--border:#30363d;--link:#6cb6ff}}
.vw a{color:var(--link)}
.vw p{margin:0}
.st{display:flex;align-items:center;gap:8px;font-weight:600}
.dot{width:10px;height:10px;border-radius:50%;flex:none;background:#1a7f37}
.dot.minor{background:#bf8700}.dot.major{background:#bc4c00}.dot.critical{background:#cf222e}.dot.maintenance{background:#0a5fb4}
.inc{margin-top:8px;padding-top:8px;border-top:1px solid var(--border)}
.inc .t{font-weight:600}
.meta{color:var(--muted);font-size:12px;margin-top:2px}
.up{margin-top:4px;display:-webkit-box;-webkit-line-clamp:3;-webkit-box-orient:vertical;overflow:hidden}
.ft{margin-top:8px;font-size:12px}
`;

/** One flowing line of at most `max` characters, cut at a word: the frame has room for three lines. */
export function excerpt(text: string, max: number): string {
  const flat = text.replace(/\s*\n+\s*/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1).replace(/\s+\S*$/, '')}…` : flat;
}

function tone(indicator: Indicator, maintenance: boolean): string {
  return indicator === 'none' ? (maintenance ? 'maintenance' : 'none') : indicator;
}

export async function buildFrame(ctx: Ctx, locale: Locale, theme: WidgetTheme): Promise<Built> {
  const p = phrases(locale);
  const home = await getHomePage(ctx, { locale });
  const pageUrl = siteUrl(ctx, locale, '/');
  const incident = home.activeIncidents[0] ?? null;
  const more = home.activeIncidents.length - 1;
  const parts: string[] = [
    '<!doctype html>',
    `<html lang="${locale}">`,
    '<head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">',
    '<meta http-equiv="refresh" content="60">',
    `<meta name="referrer" content="strict-origin-when-cross-origin">`,
    `<title>${escapeHtml(`${p.widgetRegion} · ${SITE.vendor}`)}</title>`,
    `<style>${CSS}</style></head>`,
    '<body>',
    `<div class="vw ${theme}" role="region" aria-label="${escapeHtml(`${p.widgetRegion} · ${SITE.vendor}`)}">`,
    `<p class="st"><span class="dot ${tone(home.indicator, home.services.some((s) => s.status === 'under_maintenance'))}" aria-hidden="true"></span>`,
    `<a href="${escapeHtml(pageUrl)}" target="_blank" rel="noopener">${escapeHtml(home.indicatorText)}</a></p>`,
  ];
  if (incident) {
    const href = siteUrl(ctx, locale, `/incidents/${encodeURIComponent(incident.id)}`);
    const latest = incident.latestUpdate;
    parts.push(
      '<div class="inc">',
      `<p class="t" lang="${incident.title.locale}"><a href="${escapeHtml(href)}" target="_blank" rel="noopener">${escapeHtml(incident.title.text)}</a></p>`,
    );
    if (latest) {
      parts.push(
        `<p class="meta">${escapeHtml(p.widgetLatestUpdate)} · ${escapeHtml(incidentStatusLabel(latest.status, locale))} · <time datetime="${latest.displayAt.toISOString()}">${escapeHtml(formatDateTime(latest.displayAt, locale, ctx.timeZone))}</time></p>`,
        `<p class="up" lang="${latest.body.locale}">${escapeHtml(excerpt(markdownToPlainText(latest.body.text), 280))}</p>`,
      );
    }
    parts.push(
      `<p class="ft"><a href="${escapeHtml(href)}${latest ? `#update-${escapeHtml(latest.id)}` : ''}" target="_blank" rel="noopener">${escapeHtml(p.widgetDetails)}</a>${more > 0 ? ` · <a href="${escapeHtml(pageUrl)}" target="_blank" rel="noopener">+${more}</a>` : ''}</p>`,
      '</div>',
    );
  } else {
    parts.push(`<p class="ft"><a href="${escapeHtml(pageUrl)}" target="_blank" rel="noopener">${escapeHtml(p.widgetOpenPage)}</a></p>`);
  }
  parts.push('</div></body></html>');
  return { body: stripInvalidXmlChars(parts.join('')), contentType: 'text/html; charset=utf-8' };
}

export function createWidgetRoutes(deps: PublicDeps) {
  const app = new Hono();
  app.get('/widget/v1/frame', (c) => {
    const locale = queryLocale(c);
    const requested = c.req.query('theme');
    const theme: WidgetTheme = requested === 'dark' || requested === 'auto' ? requested : 'light';
    return serve(c, deps, {
      headers: {
        'Content-Security-Policy': FRAME_CSP,
        'Cross-Origin-Resource-Policy': 'cross-origin',
        'Cross-Origin-Opener-Policy': 'unsafe-none',
      },
      build: (ctx) => buildFrame(ctx, locale, theme),
    });
  });
  return app;
}
