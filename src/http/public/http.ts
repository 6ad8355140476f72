/**
 * Plumbing shared by the public machine-readable routes: language from the query, XML-safe text, absolute
 * links, and conditional responses from a small per-app cache of built documents.
 *
 * Caching: each response is built once per "public version" (one cheap query that changes when anything
 * public is written) and per time bucket, then served from memory with a strong ETag computed from the bytes.
 * During an incident thousands of readers poll the same few documents: they cost one query each, and a reader
 * (or CDN) that already has the bytes gets a 304.
 */
import { createHash } from 'node:crypto';
import type { Context } from 'hono';
import { resolveLocale } from '../../domain/i18n.ts';
import type { Locale } from '../../domain/vocab.ts';
import { localePath } from '../../i18n/index.ts';
import type { Ctx } from '../../services/context.ts';
import { type PublicVersion, publicVersion } from '../../services/public-feed.ts';

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
  return stripInvalidXmlChars(text)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** Same escaping for HTML text and attributes. */
export const escapeHtml = escapeXml;

/** An absolute URL on this site for a path in a locale's URL space ('/incidents/x' → https://…/en/incidents/x). */
export function siteUrl(ctx: Ctx, locale: Locale, path: string, hash?: string): string {
  return `${ctx.siteUrl}${localePath(locale, path)}${hash ? `#${hash}` : ''}`;
}

export const PUBLIC_CACHE_CONTROL = 'public, max-age=30, s-maxage=30, stale-while-revalidate=60';

/** How long a built document may be served from memory although nothing visible was written (time-driven changes). */
const BUCKET_MS = 30_000;

export type Built = {
  body: string;
  contentType: string;
  /** Sent as Last-Modified (feeds); omitted for documents that also change with time (overdue flags). */
  lastModified?: Date | null;
  status?: 200 | 404;
};

type Stored = Built & { etag: string; version: string };

/**
 * Built documents per app instance, keyed by route and parameters. Bounded by total size (feeds of long
 * incidents weigh a few hundred kB); the least recently used are dropped first.
 */
export class DocumentCache {
  #entries = new Map<string, Stored>();
  #bytes = 0;
  readonly maxBytes: number;
  constructor(maxBytes = 32 * 1024 * 1024) {
    this.maxBytes = maxBytes;
  }

  get(key: string, version: string): Stored | undefined {
    const hit = this.#entries.get(key);
    if (!hit || hit.version !== version) return undefined;
    // Refresh its place: Map keeps insertion order, so the first key is the least recently used.
    this.#entries.delete(key);
    this.#entries.set(key, hit);
    return hit;
  }

  set(key: string, value: Stored) {
    const old = this.#entries.get(key);
    if (old) this.#bytes -= old.body.length;
    this.#entries.delete(key);
    if (value.body.length > this.maxBytes / 4) return;
    this.#entries.set(key, value);
    this.#bytes += value.body.length;
    for (const [oldest, entry] of this.#entries) {
      if (this.#bytes <= this.maxBytes) break;
      this.#entries.delete(oldest);
      this.#bytes -= entry.body.length;
    }
  }

  get size() {
    return this.#entries.size;
  }
}

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
  /** Route and parameters (locale, key, style...). */
  key: string;
  /** `lastChange`: the latest public write, for Last-Modified and "updated" fields. */
  build: (ctx: Ctx, version: PublicVersion) => Promise<Built>;
  headers?: Record<string, string>;
  cacheControl?: string;
};

/** Builds (or reuses) a document and answers with 200, 304 or the document's own status. */
export async function serve(c: Context, deps: PublicDeps, cache: DocumentCache, options: ServeOptions): Promise<Response> {
  const ctx = deps.ctx();
  const current = await publicVersion(ctx);
  const version = `${current.tag}|${Math.floor(ctx.now().getTime() / BUCKET_MS)}`;
  let doc = cache.get(options.key, version);
  if (!doc) {
    const built = await options.build(ctx, current);
    doc = { ...built, etag: strongEtag(built.body), version };
    // Unknown ids are not kept: anyone can make up as many as they like.
    if ((built.status ?? 200) === 200) cache.set(options.key, doc);
  }
  const headers: Record<string, string> = {
    'Cache-Control': options.cacheControl ?? PUBLIC_CACHE_CONTROL,
    ...(options.headers ?? {}),
  };
  if ((doc.status ?? 200) !== 200) {
    return c.body(doc.body, doc.status ?? 404, { ...headers, 'Content-Type': doc.contentType, 'Cache-Control': 'public, max-age=30' });
  }
  headers.ETag = doc.etag;
  if (doc.lastModified) headers['Last-Modified'] = doc.lastModified.toUTCString();
  if (isNotModified(c, doc.etag, doc.lastModified)) return c.body(null, 304, headers);
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
