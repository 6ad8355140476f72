/**
 * Plumbing shared by the public machine-readable routes: language from the query, XML-safe text, absolute
 * links, and conditional responses. Caching is not done here: the public cache (src/http/cache) stores these
 * routes' 200s with the HTML pages and answers repeated readers before the request reaches them.
 */
import { createHash } from 'node:crypto';
import type { Context } from 'hono';
import { resolveLocale } from '../../domain/i18n.ts';
import type { Locale } from '../../domain/vocab.ts';
import { localePath } from '../../i18n/index.ts';
import type { Ctx } from '../../services/context.ts';
import { type PublicVersion, publicVersion } from '../../services/public-feed.ts';
import { PUBLIC_CACHE_CONTROL } from '../cache/policy.ts';
import { escapeHtml as escapeText } from '../../domain/html.ts';

export type PublicDeps = {
  /** A fresh service context per request (the runtime's `ctx`). */
  ctx: () => Ctx;
};

/** `?lang=en` → English; anything else, or nothing, → Italian. */
export function queryLocale(c: Context): Locale {
  return resolveLocale(c.req.query('lang') ?? null);
}

/**
 * Characters XML 1.0 forbids (C0 controls except tab/LF/CR, lone surrogates, U+FFFE/U+FFFF) and the C1
 * controls it discourages. Operators paste from everywhere; a single U+0001 makes a whole feed unreadable.
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const XML_INVALID = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u0084\u0086-\u009F\uD800-\uDFFF\uFFFE\uFFFF]/gu;

export function stripInvalidXmlChars(text: string): string {
  return text.replace(XML_INVALID, '');
}

export function escapeXml(text: string): string {
  return escapeText(stripInvalidXmlChars(text));
}

/** Same escaping for HTML text and attributes. */
export const escapeHtml = escapeXml;

/** An absolute URL on this site for a path in a locale's URL space ('/incidents/x' → https://…/en/incidents/x). */
export function siteUrl(ctx: Ctx, locale: Locale, path: string, hash?: string): string {
  return `${ctx.siteUrl}${localePath(locale, path)}${hash ? `#${hash}` : ''}`;
}

export type Built = {
  body: string;
  contentType: string;
  /** Sent as Last-Modified (feeds); omitted for documents that also change with time (overdue flags). */
  lastModified?: Date | null;
  status?: 200 | 404;
};

export function strongEtag(body: string): string {
  return `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
}

/** RFC 9110 §13.1: If-None-Match wins over If-Modified-Since; weak comparison for If-None-Match. */
export function isNotModified(c: Context, etag: string, lastModified: Date | null | undefined): boolean {
  const inm = c.req.header('if-none-match');
  if (inm !== undefined) {
    if (inm.trim() === '*') return true;
    return inm
      .split(',')
      .map((t) => t.trim().replace(/^W\//, ''))
      .includes(etag);
  }
  const ims = c.req.header('if-modified-since');
  if (ims && lastModified) {
    const since = Date.parse(ims);
    // HTTP dates have whole seconds.
    if (!Number.isNaN(since)) return Math.floor(lastModified.getTime() / 1000) * 1000 <= since;
  }
  return false;
}

export type ServeOptions = {
  /** `lastChange`: the latest public write, for Last-Modified and "updated" fields. */
  build: (ctx: Ctx, version: PublicVersion) => Promise<Built>;
  headers?: Record<string, string>;
};

/**
 * Builds a document and answers with 200, 304 or the document's own status. Built once per content version:
 * the public cache (src/http/cache) in front stores the 200s and answers the next readers itself.
 */
export async function serve(c: Context, deps: PublicDeps, options: ServeOptions): Promise<Response> {
  const ctx = deps.ctx();
  const doc = await options.build(ctx, await publicVersion(ctx));
  const headers: Record<string, string> = {
    'Cache-Control': PUBLIC_CACHE_CONTROL,
    ...(options.headers ?? {}),
  };
  if ((doc.status ?? 200) !== 200) {
    return c.body(doc.body, doc.status ?? 404, { ...headers, 'Content-Type': doc.contentType, 'Cache-Control': 'public, max-age=30' });
  }
  const etag = strongEtag(doc.body);
  headers.ETag = etag;
  if (doc.lastModified) headers['Last-Modified'] = doc.lastModified.toUTCString();
  if (isNotModified(c, etag, doc.lastModified)) return c.body(null, 304, headers);
  return c.body(doc.body, 200, { ...headers, 'Content-Type': doc.contentType });
}

/** A 404 with a short plain-text body a person can read in a browser or a feed reader's error pane. */
export function plainNotFound(message: string): Built {
  return { body: `${message}\n`, contentType: 'text/plain; charset=utf-8', status: 404 };
}

/** Headers for anything another site may read or embed (feeds, JSON, badges, the widget frame). */
export const CROSS_ORIGIN_READ: Record<string, string> = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Expose-Headers': 'ETag, Last-Modified',
  // The site-wide default is same-origin; these are made to be loaded from partners' pages.
  'Cross-Origin-Resource-Policy': 'cross-origin',
};
