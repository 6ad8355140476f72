/** The plumbing of the public routes, without a database: XML-safe text, conditional requests, the cache. */
import type { Context } from 'hono';
import { describe, expect, it } from 'vitest';
import { escapeXml, isNotModified, stripInvalidXmlChars, strongEtag } from '../../src/http/public/http.ts';
import { renderBadge } from '../../src/http/public/badge.ts';
import { xmlError } from './support.ts';

const request = (headers: Record<string, string>) =>
  ({ req: { header: (name: string) => headers[name.toLowerCase()] } }) as unknown as Context;

describe('XML-safe text', () => {
  it('drops what XML 1.0 forbids and keeps everything it allows', () => {
    const forbidden = '\u0000\u0001\u0008\u000B\u000C\u000E\u001F\u007F\u0085\uFFFE\uFFFF\uDFFF\uD800'; // lone surrogates, in the wrong order
    expect(stripInvalidXmlChars(`a${forbidden}b`)).toBe('a\u0085b');
    const allowed = 'tab\tnew\nline\rà è € 🚦 \u00A0 \uE000 \uFFFD';
    expect(stripInvalidXmlChars(allowed)).toBe(allowed);
    expect(xmlError(`<t>${escapeXml(`${forbidden}<&>"'🚦`)}</t>`)).toBeNull();
  });

  it('a badge with hostile text is still a well-formed SVG', () => {
    const svg = renderBadge({ label: 'a\u0001<b>&', value: '"x"\uFFFE]]>', tone: 'critical', style: 'flat', locale: 'it' });
    expect(xmlError(svg)).toBeNull();
    expect(svg).toContain('<title>a&lt;b&gt;&amp;: &quot;x&quot;]]&gt;</title>');
  });
});

describe('conditional requests', () => {
  const etag = strongEtag('body');
  const lastModified = new Date('2026-03-19T12:00:00.500Z');

  it('If-None-Match: exact, weak, in a list, or *', () => {
    expect(isNotModified(request({ 'if-none-match': etag }), etag, lastModified)).toBe(true);
    expect(isNotModified(request({ 'if-none-match': `W/${etag}` }), etag, lastModified)).toBe(true);
    expect(isNotModified(request({ 'if-none-match': `"a", ${etag}` }), etag, lastModified)).toBe(true);
    expect(isNotModified(request({ 'if-none-match': '*' }), etag, lastModified)).toBe(true);
    expect(isNotModified(request({ 'if-none-match': '"a"' }), etag, lastModified)).toBe(false);
  });

  it('If-Modified-Since counts only without If-None-Match, to the second', () => {
    const since = lastModified.toUTCString();
    expect(isNotModified(request({ 'if-modified-since': since }), etag, lastModified)).toBe(true);
    expect(isNotModified(request({ 'if-modified-since': new Date(lastModified.getTime() - 1000).toUTCString() }), etag, lastModified)).toBe(false);
    expect(isNotModified(request({ 'if-modified-since': since, 'if-none-match': '"a"' }), etag, lastModified)).toBe(false);
    expect(isNotModified(request({ 'if-modified-since': 'yesterday' }), etag, lastModified)).toBe(false);
    expect(isNotModified(request({ 'if-modified-since': since }), etag, null)).toBe(false);
  });
});
