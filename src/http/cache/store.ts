/**
 * The one in-memory cache of public responses (HTML pages in both locales, feeds, badges, JSON), shared by the
 * fast path in front of Astro and by the Hono middleware behind it: both import this module from the same
 * server bundle, so the process holds one copy.
 *
 * An entry is the finished response: status 200, the headers to replay, the body and its gzip and brotli
 * variants (compressed once, when stored, instead of once per reader), a strong ETag. It is fresh while
 *   - the content version it was built under is still the current one (./watch.ts moves it on every public
 *     write, from this or any other instance), and
 *   - its expiry has not passed (the next instant the page changes by itself: src/services/content-version.ts).
 * Nothing else evicts it but the size bound.
 */
import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { brotliCompress, constants, gzip } from 'node:zlib';
import { BoundedMemo } from '../../domain/memo.ts';
import { PUBLIC_CACHE_CONTROL } from './policy.ts';

const gzipAsync = promisify(gzip);
const brotliAsync = promisify(brotliCompress);

/** Below this, compression costs more than it saves. */
const MIN_COMPRESS_BYTES = 512;

export type Encoding = 'br' | 'gzip' | 'identity';

export type CacheEntry = {
  key: string;
  version: number;
  /** Epoch ms after which the entry is stale even if nothing was written. */
  expiresAt: number;
  /** Headers replayed on every answer (content type, security headers...), lower-case names. */
  headers: [string, string][];
  /** Quoted, from the identity bytes; the compressed variants append a suffix (different bytes, RFC 9110 §8.8.3). */
  etag: string;
  bodies: { identity: Buffer; gzip?: Buffer; br?: Buffer };
  bytes: number;
  /** Flat header lists per encoding, built on first use: a hit then allocates nothing but the response. */
  wire: Partial<Record<Encoding, { ok: string[]; notModified: string[] }>>;
};

export type CacheClock = () => number;

export class PublicCache {
  #entries = new Map<string, CacheEntry>();
  #building = new Map<string, Promise<CacheEntry | null>>();
  #claims = new Map<string, object>();
  #bytes = 0;
  #version: number | null = null;
  #now: CacheClock = () => Date.now();
  readonly maxBytes: number;

  constructor(maxBytes = 64 * 1024 * 1024) {
    this.maxBytes = maxBytes;
  }

  /** The clock that expiries are compared with (the runtime's: tests move it). */
  useClock(now: CacheClock) {
    this.#now = now;
  }

  /** The content version this process knows; null until the watcher read it once (nothing is served before). */
  get version(): number | null {
    return this.#version;
  }

  /**
   * A newer version makes every entry stale at once. Versions only grow: a late NOTIFY or a slow poll that
   * carries an older number must not bring back pages built before a newer write.
   */
  observeVersion(version: number): boolean {
    if (this.#version !== null && version <= this.#version) return false;
    this.#version = version;
    return true;
  }

  /** Forget the version (the watcher stopped): nothing is served as fresh any more. */
  detach() {
    this.#version = null;
  }

  isFresh(entry: CacheEntry): boolean {
    return entry.version === this.#version && this.#now() < entry.expiresAt;
  }

  /** The fresh entry for a key, if any. */
  fresh(key: string): CacheEntry | undefined {
    const entry = this.#entries.get(key);
    return entry && this.isFresh(entry) ? entry : undefined;
  }

  /** Whatever is stored for a key, fresh or not (served while a rebuild runs, or when the rebuild fails). */
  last(key: string): CacheEntry | undefined {
    return this.#entries.get(key);
  }

  /** The rebuild of a key in progress, so concurrent misses wait for one render instead of each doing it. */
  building(key: string): Promise<CacheEntry | null> | undefined {
    return this.#building.get(key);
  }

  /**
   * For the fast path, on an entry that is no longer fresh: whether this request goes and re-renders `key` (it gets
   * a release, to call when its response ends) or gets the previous content (null: a rebuild runs, or a request is
   * already on its way to one). Without the claim, every reader arriving between a write and the moment the first
   * of them reached the renderer took the slow path too (measured: ~55 per write under 50 connections).
   */
  claimRebuild(key: string): (() => void) | null {
    if (this.#building.has(key) || this.#claims.has(key)) return null;
    const claim = {};
    this.#claims.set(key, claim);
    return () => {
      if (this.#claims.get(key) === claim) this.#claims.delete(key);
    };
  }

  /** Drops a key whose page no longer renders to something storable (gone, or now personal). */
  forget(key: string) {
    const old = this.#entries.get(key);
    if (!old) return;
    this.#entries.delete(key);
    this.#bytes -= old.bytes;
  }

  /** Runs `build` as the one rebuild of `key`; concurrent callers get the same promise. */
  rebuild(key: string, build: () => Promise<CacheEntry | null>): Promise<CacheEntry | null> {
    const running = this.#building.get(key);
    if (running) return running;
    const promise = build().finally(() => this.#building.delete(key));
    this.#building.set(key, promise);
    return promise;
  }

  /** Compresses and stores a 200 response built under `version`. */
  async put(input: { key: string; version: number; expiresAt: number; headers: [string, string][]; body: Buffer }): Promise<CacheEntry> {
    const { body } = input;
    const compress = body.length >= MIN_COMPRESS_BYTES;
    const [gz, br] = compress
      ? await Promise.all([
          gzipAsync(body, { level: 6 }),
          // Quality 5: close to the best ratio for HTML at a fraction of quality 11's time (a 400 kB page in ms).
          brotliAsync(body, {
            params: {
              [constants.BROTLI_PARAM_QUALITY]: 5,
              [constants.BROTLI_PARAM_SIZE_HINT]: body.length,
            },
          }),
        ])
      : [undefined, undefined];
    const entry: CacheEntry = {
      key: input.key,
      version: input.version,
      expiresAt: input.expiresAt,
      headers: input.headers,
      etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`,
      bodies: { identity: body, gzip: gz, br },
      bytes: body.length + (gz?.length ?? 0) + (br?.length ?? 0),
      wire: {},
    };
    this.#set(entry);
    return entry;
  }

  #set(entry: CacheEntry) {
    this.forget(entry.key);
    if (entry.bytes > this.maxBytes / 4) return;
    this.#entries.set(entry.key, entry);
    this.#bytes += entry.bytes;
    // Map keeps insertion order: the first keys are the least recently stored.
    for (const [key, e] of this.#entries) {
      if (this.#bytes <= this.maxBytes) break;
      this.#entries.delete(key);
      this.#bytes -= e.bytes;
    }
  }

  get size() {
    return this.#entries.size;
  }
}

/** The process-wide instance. */
export const publicCache = new PublicCache();

/**
 * What one Accept-Encoding header accepts, parsed once per distinct header value: clients send a handful of
 * different values, so a hit then allocates nothing to negotiate (the parse splits and trims a dozen strings).
 * Bounded, in case a client sends a new value every time.
 */
const acceptedCache = new BoundedMemo<{ br: boolean; gzip: boolean }>(256);

function acceptedEncodings(acceptEncoding: string): { br: boolean; gzip: boolean } {
  const known = acceptedCache.get(acceptEncoding);
  if (known) return known;
  const names = new Set<string>();
  for (const part of acceptEncoding.toLowerCase().split(',')) {
    const [name, ...params] = part.trim().split(';');
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    if (q && Number(q.slice(2)) === 0) continue;
    names.add(name!.trim());
  }
  return acceptedCache.remember(acceptEncoding, { br: names.has('br'), gzip: names.has('gzip') || names.has('*') });
}

/** br, then gzip, when the client accepts them (q=0 refuses); otherwise the identity bytes. */
export function negotiateEncoding(acceptEncoding: string | undefined, entry: CacheEntry): Encoding {
  if (!acceptEncoding) return 'identity';
  const accepted = acceptedEncodings(acceptEncoding);
  if (entry.bodies.br && accepted.br) return 'br';
  if (entry.bodies.gzip && accepted.gzip) return 'gzip';
  return 'identity';
}

export function etagFor(entry: CacheEntry, encoding: Encoding): string {
  return encoding === 'identity' ? entry.etag : `${entry.etag.slice(0, -1)}-${encoding}"`;
}

/** If-None-Match against any variant of the entry (same content, so a 304 is right whichever the client holds). */
export function matchesIfNoneMatch(ifNoneMatch: string | undefined, entry: CacheEntry): boolean {
  if (!ifNoneMatch) return false;
  if (ifNoneMatch.trim() === '*') return true;
  const base = entry.etag.slice(1, -1);
  return ifNoneMatch.split(',').some((tag) => {
    const t = tag.trim().replace(/^W\//, '').replace(/^"|"$/g, '');
    return t === base || t === `${base}-gzip` || t === `${base}-br`;
  });
}

/** Status, headers (a flat name, value, name, value… list) and body of the answer to one request. */
export function answer(
  entry: CacheEntry,
  req: {
    acceptEncoding: string | undefined;
    ifNoneMatch: string | undefined;
    head: boolean;
  },
): { status: 200 | 304; headers: string[]; body: Buffer | null } {
  const encoding = negotiateEncoding(req.acceptEncoding, entry);
  const wire = (entry.wire[encoding] ??= wireHeaders(entry, encoding));
  if (matchesIfNoneMatch(req.ifNoneMatch, entry)) return { status: 304, headers: wire.notModified, body: null };
  return {
    status: 200,
    headers: wire.ok,
    body: req.head ? null : entry.bodies[encoding]!,
  };
}

function wireHeaders(entry: CacheEntry, encoding: Encoding) {
  const notModified = [
    ...entry.headers.flat(),
    'cache-control',
    PUBLIC_CACHE_CONTROL,
    'etag',
    etagFor(entry, encoding),
    'vary',
    'Accept-Encoding',
  ];
  const ok = [...notModified, 'content-length', String(entry.bodies[encoding]!.length)];
  if (encoding !== 'identity') ok.push('content-encoding', encoding);
  return { ok, notModified };
}
