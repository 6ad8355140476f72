/**
 * SVG status badges for READMEs, intranets and partners' pages:
 *
 *   /badge.svg                  the page's overall status        ?lang=en  ?style=flat|flat-square
 *   /services/{key}/badge.svg   one service's current status
 *
 * Accessible (role="img", <title> and aria-label carry the whole sentence), colours with at least 4.5:1
 * contrast against the white text, and short-lived shared caching so a CDN absorbs the load.
 */
import { type Context, Hono } from 'hono';
import type { Indicator, Locale, ServiceStatus } from '../../domain/vocab.ts';
import type { Ctx } from '../../services/context.ts';
import { getHomePage, getServicePage } from '../../services/read.ts';
import { type Built, CROSS_ORIGIN_READ, type PublicDeps, escapeXml, queryLocale, serve, strongEtag } from './http.ts';
import { phrases, serviceStatusLabel } from './texts.ts';

export type BadgeStyle = 'flat' | 'flat-square';
export type BadgeTone = 'operational' | 'maintenance' | 'minor' | 'major' | 'critical' | 'unknown';

/** Background colours; white text on each has a contrast ratio of at least 4.5:1 (WCAG AA, small text). */
export const BADGE_COLOURS: Record<BadgeTone | 'label', string> = {
  label: '#555555',
  operational: '#1a7f37',
  maintenance: '#0a5fb4',
  minor: '#8a5a00',
  major: '#b34700',
  critical: '#c4211f',
  unknown: '#5f6b76',
};

export const toneOfService = (status: ServiceStatus): BadgeTone =>
  status === 'operational'
    ? 'operational'
    : status === 'under_maintenance'
      ? 'maintenance'
      : status === 'degraded_performance'
        ? 'minor'
        : status === 'partial_outage'
          ? 'major'
          : 'critical';

export const toneOfIndicator = (indicator: Indicator, anyMaintenance: boolean): BadgeTone =>
  indicator === 'none' ? (anyMaintenance ? 'maintenance' : 'operational') : indicator;

/*
 * Approximate advance widths of Verdana at 11 px (the badge font; DejaVu Sans is close). The SVG pins each text
 * to the computed width with textLength, so a reader with another font still sees the text fit its box.
 */
const NARROW = new Set([...'iljI.,:;!|\'`']);
const SEMI = new Set([...'frt()[]{}/\\" -']);
const WIDE = new Set([...'mwMW@%']);
function textWidth(text: string): number {
  let w = 0;
  for (const ch of text) {
    if (NARROW.has(ch)) w += 3.4;
    else if (SEMI.has(ch)) w += 4.6;
    else if (WIDE.has(ch)) w += 10.2;
    else if (ch >= 'A' && ch <= 'Z') w += 7.6;
    else if (ch >= '0' && ch <= '9') w += 7;
    else w += 6.6;
  }
  return Math.round(w * 10) / 10;
}

export function renderBadge(opts: { label: string; value: string; tone: BadgeTone; style: BadgeStyle; locale: Locale }): string {
  const pad = 6;
  const lw = textWidth(opts.label);
  const vw = textWidth(opts.value);
  const left = Math.round(lw + pad * 2);
  const right = Math.round(vw + pad * 2);
  const width = left + right;
  const sentence = `${opts.label}: ${opts.value}`;
  const radius = opts.style === 'flat-square' ? 0 : 3;
  // Ids must be unique when several badges are inlined in one page.
  const clip = `vb${strongEtag(`${sentence}|${opts.style}`).slice(1, 9).replace(/[^a-zA-Z0-9]/g, 'x')}`;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="20" viewBox="0 0 ${width} 20" role="img" aria-label="${escapeXml(sentence)}" xml:lang="${opts.locale}">`,
    `<title>${escapeXml(sentence)}</title>`,
    `<clipPath id="${clip}"><rect width="${width}" height="20" rx="${radius}" fill="#fff"/></clipPath>`,
    `<g clip-path="url(#${clip})">`,
    `<rect width="${left}" height="20" fill="${BADGE_COLOURS.label}"/>`,
    `<rect x="${left}" width="${right}" height="20" fill="${BADGE_COLOURS[opts.tone]}"/>`,
    `</g>`,
    `<g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" font-size="11" aria-hidden="true">`,
    `<text x="${left / 2}" y="14" textLength="${lw}" lengthAdjust="spacingAndGlyphs">${escapeXml(opts.label)}</text>`,
    `<text x="${left + right / 2}" y="14" textLength="${vw}" lengthAdjust="spacingAndGlyphs">${escapeXml(opts.value)}</text>`,
    `</g>`,
    `</svg>`,
  ].join('');
}

const SVG = 'image/svg+xml; charset=utf-8';

function styleOf(c: Context): BadgeStyle {
  return c.req.query('style') === 'flat-square' ? 'flat-square' : 'flat';
}

export async function buildPageBadge(ctx: Ctx, locale: Locale, style: BadgeStyle): Promise<Built> {
  const home = await getHomePage(ctx, { locale });
  const tone = toneOfIndicator(
    home.indicator,
    home.services.some((s) => s.status === 'under_maintenance'),
  );
  return { body: renderBadge({ label: phrases(locale).badgeLabel, value: home.indicatorText, tone, style, locale }), contentType: SVG };
}

export async function buildServiceBadge(ctx: Ctx, key: string, locale: Locale, style: BadgeStyle): Promise<Built> {
  const page = await getServicePage(ctx, { key, locale });
  if (!page) {
    // Still an image, so the embedding page shows a readable badge instead of a broken picture.
    const p = phrases(locale);
    return { body: renderBadge({ label: p.badgeLabel, value: p.badgeUnknown, tone: 'unknown', style, locale }), contentType: SVG, status: 404 };
  }
  const s = page.service;
  return {
    body: renderBadge({ label: s.name, value: serviceStatusLabel(s.status, locale), tone: toneOfService(s.status), style, locale }),
    contentType: SVG,
  };
}

export function createBadgeRoutes(deps: PublicDeps) {
  const app = new Hono();
  const headers = { ...CROSS_ORIGIN_READ, 'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors *" };
  app.get('/badge.svg', (c) => {
    const locale = queryLocale(c);
    const style = styleOf(c);
    return serve(c, deps, { headers, build: (ctx) => buildPageBadge(ctx, locale, style) });
  });
  app.get('/services/:key/badge.svg', (c) => {
    const locale = queryLocale(c);
    const style = styleOf(c);
    const key = c.req.param('key');
    return serve(c, deps, {
      headers,
      build: (ctx) => buildServiceBadge(ctx, key, locale, style),
    });
  });
  return app;
}
