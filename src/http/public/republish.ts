/**
 * Copy-ready versions of one incident update, for partners who republish the vendor's updates to their own
 * clients with permission and attribution:
 *
 *   /incidents/{id}/updates/{updateId}/republish?format=text|html|json&lang=it|en
 *
 * Every version ends with the attribution line: "Fonte: <vendor>, <permalink>, aggiornamento del <date>".
 * The HTML is a fragment (a <div>) built from the sanitised Markdown: safe to paste into a CMS or an e-mail.
 */
import { Hono } from 'hono';
import { markdownToPlainText, renderMarkdown } from '../../domain/markdown.ts';
import { formatDateTime } from '../../domain/time.ts';
import type { Locale } from '../../domain/vocab.ts';
import { SITE } from '../../i18n/site.ts';
import type { Ctx } from '../../services/context.ts';
import { getIncidentPage } from '../../services/read.ts';
import { type Built, CROSS_ORIGIN_READ, type PublicDeps, escapeHtml, plainNotFound, serve, siteUrl, stripInvalidXmlChars } from './http.ts';
import { incidentStatusLabel, phrases } from './texts.ts';
import { resolveLocale } from '../../domain/i18n.ts';

export type RepublishFormat = 'text' | 'html' | 'json';

export type Republished = { text: string; html: string; attribution: string; permalink: string; locale: Locale };

export async function republishUpdate(ctx: Ctx, { incidentId, updateId, locale }: { incidentId: string; updateId: string; locale: Locale }) {
  const p = phrases(locale);
  const page = await getIncidentPage(ctx, { id: incidentId, locale });
  if (!page) return { error: p.notFoundIncident(incidentId) } as const;
  const update = page.updates.find((u) => u.id === updateId);
  if (!update) return { error: p.notFoundUpdate(updateId) } as const;
  const permalink = siteUrl(ctx, locale, `/incidents/${encodeURIComponent(page.id)}`, `update-${update.id}`);
  const when = formatDateTime(update.displayAt, locale, ctx.timeZone);
  const status = incidentStatusLabel(update.status, locale);
  const attribution = `${p.source}: ${SITE.vendor}, ${permalink}, ${p.updateOf} ${when}`;
  const text = [
    page.title.text,
    `${p.republishStatus}: ${status} · ${when}`,
    '',
    markdownToPlainText(update.body.text),
    '',
    attribution,
  ].join('\n');
  const html = [
    `<div class="vedetta-update" lang="${locale}">`,
    `<p><strong lang="${page.title.locale}">${escapeHtml(page.title.text)}</strong><br>${escapeHtml(p.republishStatus)}: ${escapeHtml(status)} · <time datetime="${update.displayAt.toISOString()}">${escapeHtml(when)}</time></p>`,
    `<div lang="${update.body.locale}">${renderMarkdown(update.body.text)}</div>`,
    `<p><small>${escapeHtml(p.source)}: <a href="${escapeHtml(ctx.siteUrl)}">${escapeHtml(SITE.vendor)}</a>, <a href="${escapeHtml(permalink)}">${escapeHtml(permalink)}</a>, ${escapeHtml(p.updateOf)} <time datetime="${update.displayAt.toISOString()}">${escapeHtml(when)}</time></small></p>`,
    `</div>`,
  ].join('\n');
  return {
    value: {
      text: stripInvalidXmlChars(text),
      html: stripInvalidXmlChars(html),
      attribution: stripInvalidXmlChars(attribution),
      permalink,
      locale,
    } satisfies Republished,
  } as const;
}

export async function buildRepublish(ctx: Ctx, args: { incidentId: string; updateId: string; locale: Locale; format: RepublishFormat }): Promise<Built> {
  const result = await republishUpdate(ctx, args);
  if ('error' in result) return plainNotFound(result.error!);
  const r = result.value;
  switch (args.format) {
    case 'text':
      return { body: `${r.text}\n`, contentType: 'text/plain; charset=utf-8' };
    case 'html':
      return { body: `${r.html}\n`, contentType: 'text/html; charset=utf-8' };
    case 'json':
      return { body: JSON.stringify(r), contentType: 'application/json; charset=utf-8' };
  }
}

export function createRepublishRoutes(deps: PublicDeps) {
  const app = new Hono();
  for (const prefix of ['', '/en'] as const) {
    app.get(`${prefix}/incidents/:id/updates/:updateId/republish`, (c) => {
      const lang = c.req.query('lang');
      const locale = lang ? resolveLocale(lang) : prefix === '/en' ? 'en' : 'it';
      const requested = c.req.query('format');
      const format: RepublishFormat = requested === 'html' || requested === 'json' ? requested : 'text';
      const incidentId = c.req.param('id');
      const updateId = c.req.param('updateId');
      return serve(c, deps, {
        headers: { ...CROSS_ORIGIN_READ, 'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'" },
        build: (ctx) => buildRepublish(ctx, { incidentId, updateId, locale, format }),
      });
    });
  }
  return app;
}
