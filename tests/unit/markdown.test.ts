import { describe, expect, it } from 'vitest';
import { markdownToPlainText, renderInlineMarkdown, renderMarkdown } from '../../src/domain/markdown.ts';

/** Properties every rendered fragment must have, whatever went in. */
function expectSafe(html: string) {
  expect(html).not.toMatch(/<\s*(script|style|iframe|object|embed|img|svg|form|input|meta|link|base)\b/i);
  expect(html).not.toMatch(/\son[a-z]+\s*=/i);
  expect(html).not.toMatch(/javascript:|vbscript:|data:/i);
  expect(html).not.toMatch(/\s(style|srcdoc|formaction|target)\s*=/i);
}

const ATTACKS = [
  '<script>alert(1)</script>',
  '<img src=x onerror="alert(1)">',
  '[x](javascript:alert(1))',
  '<a href="JaVaScRiPt:alert(1)">y</a>',
  '<a href="jav&#x09;ascript:alert(1)">tab</a>',
  '<a href="&#106;avascript:alert(1)">entity</a>',
  '<a href="  javascript:alert(1)">space</a>',
  '[d](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)',
  '<a href="vbscript:msgbox(1)">vb</a>',
  '<iframe src="https://evil.example" srcdoc="<script>x</script>">fallback</iframe>',
  '<style>body{display:none}</style>',
  '<svg onload="alert(1)"><script>alert(1)</script></svg>',
  '<p style="background:url(javascript:alert(1))" onmouseover="alert(1)">p</p>',
  '<form action="https://evil"><input name="pw"><button formaction="javascript:alert(1)">ok</button></form>',
  '<a href="https://ok.example" onclick="alert(1)" target="_blank">ok</a>',
  '![x](javascript:alert(1))',
  '<object data="evil.swf"></object><embed src="evil.swf">',
  '<meta http-equiv="refresh" content="0;url=https://evil"><base href="https://evil/">',
  '[a](<javascript:alert(1)>)',
  '<<script>script>alert(1)<</script>/script>',
];

describe('renderMarkdown: hostile input', () => {
  it.each(ATTACKS)('neutralises %s', (attack) => {
    expectSafe(renderMarkdown(attack));
    expectSafe(renderMarkdown(`Testo prima\n\n${attack}\n\ntesto dopo`));
  });

  it('drops script and style content entirely rather than showing it as text', () => {
    expect(renderMarkdown('<script>alert(1)</script>ok')).not.toContain('alert');
    expect(renderMarkdown('<style>body{display:none}</style>ok')).not.toContain('display');
  });

  it('keeps the label of a refused link as plain text', () => {
    expect(renderMarkdown('[clicca qui](javascript:alert(1))')).toBe('<p>clicca qui</p>');
    expect(renderMarkdown('<a href="JaVaScRiPt:alert(1)">y</a>')).toBe('<p>y</p>');
  });

  it('refuses protocol-relative links to other hosts', () => {
    expect(renderMarkdown('<a href="//evil.example/x">x</a>')).toBe('<p>x</p>');
  });

  it('replaces a user-supplied rel with noopener noreferrer', () => {
    const html = renderMarkdown('<a href="https://ok.example" rel="opener">ok</a>');
    expect(html).toContain('rel="noopener noreferrer"');
    expect(html).not.toContain('opener"');
  });
});

describe('renderMarkdown: ordinary content', () => {
  it('renders emphasis, lists, code and quotes', () => {
    const html = renderMarkdown('Il **portale** è _attivo_.\n\n- invio\n- ricezione\n\n> nota\n\n`codice`');
    expect(html).toContain('<strong>portale</strong>');
    expect(html).toContain('<em>attivo</em>');
    expect(html).toMatch(/<ul>\s*<li>invio<\/li>\s*<li>ricezione<\/li>\s*<\/ul>/);
    expect(html).toMatch(/<blockquote>\s*<p>nota<\/p>\s*<\/blockquote>/);
    expect(html).toContain('<code>codice</code>');
  });

  it('keeps single line breaks', () => {
    expect(renderMarkdown('riga uno\nriga due')).toMatch(/^<p>riga uno<br ?\/?>riga due<\/p>$/);
  });

  it('adds rel to safe links and keeps http, https, mailto, tel and relative hrefs', () => {
    for (const href of ['https://example.com/a?b=1', 'http://example.com', 'mailto:help@example.com', 'tel:+390612345678', '/incidenti/42']) {
      const html = renderMarkdown(`[link](${href})`);
      expect(html, href).toContain(`href="${href.replace('&', '&amp;')}"`);
      expect(html, href).toContain('rel="noopener noreferrer"');
    }
  });

  it('demotes headings by two levels so they sit under the page’s h1/h2', () => {
    const html = renderMarkdown('# Uno\n\n## Due\n\n### Tre\n\n#### Quattro\n\n##### Cinque\n\n###### Sei');
    expect(html).not.toMatch(/<h[12]\b/);
    expect(html).toContain('<h3>Uno</h3>');
    expect(html).toContain('<h4>Due</h4>');
    expect(html).toContain('<h5>Tre</h5>');
    expect(html).toContain('<h6>Quattro</h6>');
    expect(html).toContain('<h6>Cinque</h6>');
    expect(html).toContain('<h6>Sei</h6>');
  });

  it('demotes raw HTML headings too and strips their attributes', () => {
    expect(renderMarkdown('<h1 onclick="x()" id="t">Titolo</h1>')).toBe('<h3>Titolo</h3>');
  });

  it('turns images into links instead of loading them', () => {
    const html = renderMarkdown('![grafico code](https://example.com/g.png)');
    expect(html).not.toContain('<img');
    expect(html).toContain('<a href="https://example.com/g.png" rel="noopener noreferrer">grafico code</a>');
  });

  it('renders task lists without form controls', () => {
    const html = renderMarkdown('- [x] ripristino storage\n- [ ] caricamento canale emergenza');
    expect(html).not.toContain('<input');
    expect(html).toContain('☑ ripristino storage');
    expect(html).toContain('☐ caricamento canale emergenza');
  });

  it('escapes HTML inside code blocks and keeps the language class only', () => {
    const html = renderMarkdown('```js\n<b>x</b>\n```');
    expect(html).toContain('&lt;b&gt;x&lt;/b&gt;');
    expect(html).toContain('class="language-js"');
    expect(renderMarkdown('<code class="evil language-sh">x</code>')).toContain('<code class="language-sh">');
  });

  it('keeps GFM tables', () => {
    const html = renderMarkdown('| area | stato |\n|---|---|\n| web | ok |');
    expect(html).toMatch(/<table>[\s\S]*<th>area<\/th>[\s\S]*<td>ok<\/td>[\s\S]*<\/table>/);
  });

  it('keeps the start of an ordered list', () => {
    expect(renderMarkdown('3. tre\n4. quattro')).toContain('<ol start="3">');
  });

  it('returns an empty string for empty input', () => {
    expect(renderMarkdown('')).toBe('');
    expect(renderMarkdown('   \n')).toBe('');
  });
});

describe('renderInlineMarkdown', () => {
  it('renders emphasis, code and links without a paragraph', () => {
    expect(renderInlineMarkdown('Ritardo **invio** su `SdI`')).toBe('Ritardo <strong>invio</strong> su <code>SdI</code>');
    expect(renderInlineMarkdown('[dettagli](https://example.com)')).toBe(
      '<a href="https://example.com" rel="noopener noreferrer">dettagli</a>',
    );
  });

  it('does not produce headings, lists or block elements', () => {
    expect(renderInlineMarkdown('# Titolo')).toBe('# Titolo');
    expect(renderInlineMarkdown('- voce')).toBe('- voce');
    expect(renderInlineMarkdown('<p>a</p><h1>b</h1><ul><li>c</li></ul>')).toBe('abc');
  });

  it('folds line breaks into spaces', () => {
    expect(renderInlineMarkdown('prima\nseconda\r\n  terza')).toBe('prima seconda terza');
  });

  it.each(ATTACKS)('neutralises %s', (attack) => {
    expectSafe(renderInlineMarkdown(attack));
  });
});

describe('markdownToPlainText', () => {
  it('strips markup and keeps paragraphs apart', () => {
    expect(markdownToPlainText('# Aggiornamento\n\nIl **portale** è _attivo_.\nSeconda riga.')).toBe(
      'Aggiornamento\n\nIl portale è attivo.\nSeconda riga.',
    );
  });

  it('shows where links go unless the label already says it', () => {
    expect(markdownToPlainText('Vedi [le FAQ](https://example.com/faq).')).toBe('Vedi le FAQ (https://example.com/faq).');
    expect(markdownToPlainText('<https://example.com>')).toBe('https://example.com');
    expect(markdownToPlainText('Scrivi a [assistenza](mailto:help@example.com)')).toBe('Scrivi a assistenza (help@example.com)');
    expect(markdownToPlainText('Scrivi a help@example.com')).toBe('Scrivi a help@example.com');
  });

  it('does not reveal dangerous link targets', () => {
    expect(markdownToPlainText('[clic](javascript:alert(1))')).toBe('clic');
  });

  it('writes lists with markers and indentation', () => {
    expect(markdownToPlainText('- uno\n- due\n  1. annidato\n\n3. tre\n4. quattro')).toBe(
      '- uno\n- due\n  1. annidato\n\n3. tre\n4. quattro',
    );
    expect(markdownToPlainText('- [x] fatto\n- [ ] da fare')).toBe('- [x] fatto\n- [ ] da fare');
  });

  it('quotes blockquotes and keeps code verbatim', () => {
    expect(markdownToPlainText('> riga uno\n> riga due')).toBe('> riga uno\n> riga due');
    expect(markdownToPlainText('```\nif (a < b) x();\n```')).toBe('if (a < b) x();');
    expect(markdownToPlainText('usa `a<b`')).toBe('usa a<b');
  });

  it('decodes entities and drops raw HTML tags and script bodies', () => {
    expect(markdownToPlainText('AT&amp;T &lt;ok&gt; &#8364;5')).toBe('AT&T <ok> €5');
    expect(markdownToPlainText('<p>html <b>grassetto</b></p>\n\n<script>alert(1)</script>\n\nfine')).toBe(
      'html grassetto\n\nfine',
    );
  });

  it('uses image alt text and flattens tables', () => {
    expect(markdownToPlainText('![grafico](https://example.com/g.png)')).toBe('grafico');
    expect(markdownToPlainText('| a | b |\n|---|---|\n| 1 | 2 |')).toBe('a | b\n1 | 2');
  });

  it('is empty for empty input', () => {
    expect(markdownToPlainText('')).toBe('');
  });
});
