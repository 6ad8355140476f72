/**
 * Markdown written by operators, turned into HTML that is safe to put on a public page.
 *
 * Updates are written under pressure and republished by partners, so the renderer must be forgiving
 * (single line breaks are kept, raw HTML is cleaned rather than rejected) and must never let
 * anything run in a reader's browser, whoever wrote the text: the only trust boundary is here.
 */
import { Marked, type Token, type Tokens } from 'marked';
import sanitizeHtml from 'sanitize-html';
import { escapeHtml } from './html.ts';
import { BoundedMemo } from './memo.ts';

const SAFE_SCHEMES = ['http', 'https', 'mailto', 'tel'];


const marked = new Marked({
  gfm: true,
  // Operators type in a plain textarea and expect a new line to stay a new line.
  breaks: true,
  renderer: {
    // Images become links to them: a status page must not make every reader's browser fetch
    // third-party pictures (tracking, mixed content, heavy files during an incident).
    image({ href, text }: Tokens.Image) {
      return `<a href="${escapeHtml(href)}">${escapeHtml(text || href)}</a>`;
    },
    // Plain characters instead of <input> elements, which would be focusable form controls.
    checkbox({ checked }: Tokens.Checkbox) {
      return checked ? '☑ ' : '☐ ';
    },
  },
});

/*
 * The page owns h1 (its title) and h2 (sections such as "Aggiornamenti"); a body is at least two
 * levels inside, so its headings start at h3. Levels beyond h6 are squashed into h6.
 */
const HEADING_SHIFT = 2;
const demoteHeadings: Record<string, string> = Object.fromEntries(
  [1, 2, 3, 4, 5, 6].map((level) => [`h${level}`, `h${Math.min(6, level + HEADING_SHIFT)}`]),
);

function isSafeHref(href: string): boolean {
  // Browsers ignore tabs, newlines and leading control characters in URLs ("jav\tascript:").
  const compact = href.replace(/[\u0000-\u0020\u007f]/g, '');
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(compact)?.[1]?.toLowerCase();
  return scheme === undefined ? !compact.startsWith('//') : SAFE_SCHEMES.includes(scheme);
}

/*
 * sanitize-html is what enforces the schemes; this only decides presentation. A link it would strip
 * is renamed to a tag outside the allow-list, which sanitize-html unwraps, leaving the label as
 * plain text instead of a dead <a> without href.
 */
const DROPPED_LINK = 'x-dropped-link';
const linkTransform: sanitizeHtml.Transformer = (_tagName, attribs) => {
  if (!attribs.href || !isSafeHref(attribs.href)) return { tagName: DROPPED_LINK, attribs: {} };
  return { tagName: 'a', attribs: { ...attribs, rel: 'noopener noreferrer' } };
};

const INLINE_TAGS = ['a', 'strong', 'b', 'em', 'i', 'del', 's', 'code', 'br'];

const BLOCK_OPTIONS: sanitizeHtml.IOptions = {
  allowedTags: [
    ...INLINE_TAGS,
    'p', 'blockquote', 'pre', 'hr', 'ul', 'ol', 'li',
    'h3', 'h4', 'h5', 'h6',
    'table', 'thead', 'tbody', 'tr', 'th', 'td',
  ],
  allowedAttributes: {
    a: ['href', 'title', 'rel'],
    ol: ['start'],
    th: ['align'],
    td: ['align'],
  },
  allowedClasses: { code: ['language-*'] },
  allowedSchemes: SAFE_SCHEMES,
  allowedSchemesAppliedToAttributes: ['href'],
  allowProtocolRelative: false,
  // Their content is code or a document, never text meant for the reader.
  nonTextTags: ['script', 'style', 'textarea', 'option', 'noscript', 'iframe', 'object', 'embed', 'template'],
  transformTags: { ...demoteHeadings, a: linkTransform },
};

const INLINE_OPTIONS: sanitizeHtml.IOptions = {
  ...BLOCK_OPTIONS,
  allowedTags: INLINE_TAGS,
  allowedAttributes: { a: ['href', 'title', 'rel'] },
  allowedClasses: {},
  transformTags: { a: linkTransform },
};

/*
 * Parsing and sanitising is the costliest step of a page render per byte of text, and after a write almost every
 * text on the re-rendered page is one it already showed: the HTML is kept by source text (the texts of a few
 * thousand updates; the bound clears it past that).
 */
const blockHtml = new BoundedMemo<string>(4_096);
const inlineHtml = new BoundedMemo<string>(4_096);

/** Markdown body (incident update, postmortem, FAQ answer) → sanitised HTML. */
export function renderMarkdown(md: string): string {
  return blockHtml.get(md) ?? blockHtml.remember(md, sanitizeHtml(marked.parse(md, { async: false }), BLOCK_OPTIONS).trim());
}

/**
 * One-line text (a title, a milestone label) → sanitised inline HTML: emphasis, code and links
 * only, line breaks folded into spaces, so it can sit inside a heading or a list item.
 */
export function renderInlineMarkdown(md: string): string {
  const known = inlineHtml.get(md);
  if (known !== undefined) return known;
  const oneLine = md.replace(/\s*[\r\n]+\s*/g, ' ').trim();
  return inlineHtml.remember(md, sanitizeHtml(marked.parseInline(oneLine, { async: false }), INLINE_OPTIONS).trim());
}

const NAMED_ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0' };

function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, body: string) => {
    if (body[0] === '#') {
      const code = body[1] === 'x' || body[1] === 'X' ? parseInt(body.slice(2), 16) : parseInt(body.slice(1), 10);
      return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    }
    return NAMED_ENTITIES[body.toLowerCase()] ?? whole;
  });
}

/** Text content of a raw HTML fragment, dropping script/style bodies. */
function htmlText(html: string): string {
  return decodeEntities(sanitizeHtml(html, { allowedTags: [], allowedAttributes: {}, nonTextTags: BLOCK_OPTIONS.nonTextTags }));
}

function inlineText(tokens: readonly Token[] | undefined): string {
  let out = '';
  for (const t of tokens ?? []) {
    switch (t.type) {
      case 'br':
        out += '\n';
        break;
      case 'codespan':
        out += decodeEntities(t.text);
        break;
      case 'image':
        out += decodeEntities(t.text);
        break;
      case 'html':
        out += htmlText(t.text);
        break;
      case 'link': {
        const label = inlineText(t.tokens);
        const href: string = t.href;
        // A reader of an e-mail cannot click text; show where a link goes unless the label says it.
        const target = href.replace(/^(?:mailto|tel):/i, '');
        out += isSafeHref(href) && target !== label ? `${label} (${target})` : label;
        break;
      }
      default:
        out += 'tokens' in t && t.tokens ? inlineText(t.tokens) : decodeEntities('text' in t ? String(t.text) : '');
    }
  }
  return out;
}

function blockText(tokens: readonly Token[]): string[] {
  const blocks: string[] = [];
  for (const t of tokens) {
    switch (t.type) {
      case 'space':
      case 'def':
        break;
      case 'code':
        blocks.push(t.text);
        break;
      case 'hr':
        blocks.push('---');
        break;
      case 'html':
        blocks.push(htmlText(t.text).trim());
        break;
      case 'blockquote':
        blocks.push(indent(blockText(t.tokens ?? []).join('\n\n'), '> ', '> '));
        break;
      case 'list': {
        const list = t as Tokens.List;
        const first = typeof list.start === 'number' ? list.start : 1;
        const items = list.items.map((item, i) => {
          const marker = list.ordered ? `${first + i}. ` : '- ';
          const box = item.task ? (item.checked ? '[x] ' : '[ ] ') : '';
          const body = blockText(item.tokens.filter((c) => c.type !== 'checkbox')).join(item.loose ? '\n\n' : '\n');
          return indent(box + body, marker, ' '.repeat(marker.length));
        });
        blocks.push(items.join('\n'));
        break;
      }
      case 'table': {
        const table = t as Tokens.Table;
        const row = (cells: Tokens.TableCell[]) => cells.map((c) => inlineText(c.tokens)).join(' | ');
        blocks.push([row(table.header), ...table.rows.map(row)].join('\n'));
        break;
      }
      default:
        blocks.push('tokens' in t && t.tokens ? inlineText(t.tokens) : decodeEntities('text' in t ? String(t.text) : ''));
    }
  }
  return blocks.filter((b) => b !== '');
}

function indent(text: string, first: string, rest: string): string {
  return text
    .split('\n')
    .map((line, i) => (i === 0 ? first : rest) + line)
    .join('\n');
}

/**
 * Plain text for feeds and the text part of e-mails: paragraphs separated by a blank line, lists
 * as "- " / "1. ", links as "label (url)", no markup left. The result is text, not HTML: whoever
 * embeds it must escape it.
 */
export function markdownToPlainText(md: string): string {
  return blockText(marked.lexer(md))
    .join('\n\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}
