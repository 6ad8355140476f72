/**
 * The API reference at /api/v1/docs: one server-rendered HTML page generated from the OpenAPI document, so it
 * cannot disagree with it. No script, no CDN, no web font, no third-party request; plain semantic HTML
 * (landmarks, a skip link, one h1, headings in order, tables with header cells) that works with a screen reader,
 * keyboard only, zoomed to 400% and printed.
 */
import { renderInlineMarkdown, renderMarkdown } from '../../domain/markdown.ts';
import type { OpenApiDocument } from './document.ts';

type Json = Record<string, unknown>;
type Schema = Json & {
  $ref?: string;
  type?: string | string[];
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  enum?: unknown[];
  anyOf?: Schema[];
  oneOf?: Schema[];
  allOf?: Schema[];
  additionalProperties?: boolean | Schema;
  description?: string;
  format?: string;
  default?: unknown;
  example?: unknown;
};
type Operation = Json & {
  summary?: string;
  description?: string;
  tags?: string[];
  parameters?: (Json & { name: string; in: string; required?: boolean; schema?: Schema; description?: string })[];
  requestBody?: { required?: boolean; content?: Record<string, { schema?: Schema }> };
  responses?: Record<string, { description?: string; content?: Record<string, { schema?: Schema }> }>;
  security?: Record<string, string[]>[];
};

const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

const esc = (s: unknown) =>
  String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const slug = (s: string) => s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
export const operationAnchor = (method: string, path: string) => `op-${method}-${slug(path)}`;

function resolver(doc: OpenApiDocument) {
  const schemas = ((doc.components as Json | undefined)?.schemas ?? {}) as Record<string, Schema>;
  return function resolve(schema: Schema | undefined): { schema: Schema; name?: string } {
    if (!schema) return { schema: {} };
    if (schema.allOf) {
      // `allOf: [{ $ref }, { description }]` is how a described reference is written: merge the parts.
      const { allOf, ...own } = schema;
      let merged: Schema = {};
      let name: string | undefined;
      for (const part of allOf) {
        const r = resolve(part);
        name ??= r.name;
        merged = { ...merged, ...r.schema };
      }
      return { schema: { ...merged, ...own }, name };
    }
    if (schema.$ref) {
      const name = schema.$ref.split('/').pop()!;
      const target = schemas[name] ?? {};
      // A $ref with siblings (description, nullable) keeps them over the target's.
      const { $ref: _ref, ...rest } = schema;
      return { schema: { ...target, ...rest }, name };
    }
    return { schema };
  };
}

type Row = { name: string; type: string; required: boolean; description: string };

/** Flattens a schema into one row per field, nested fields named with dots (`services[].status`). */
function fieldRows(doc: OpenApiDocument, root: Schema | undefined): Row[] {
  const resolve = resolver(doc);
  const rows: Row[] = [];
  const seen = new Set<string>();

  function typeOf(s: Schema): { label: string; inner?: Schema; nullable: boolean } {
    const { schema, name } = resolve(s);
    const variants = schema.anyOf ?? schema.oneOf;
    if (variants) {
      const nonNull = variants.filter((v) => v.type !== 'null');
      const nullable = nonNull.length < variants.length;
      if (nonNull.length === 1) {
        const t = typeOf(nonNull[0]!);
        return { ...t, nullable: nullable || t.nullable };
      }
      return { label: nonNull.map((v) => typeOf(v).label).join(' or '), nullable };
    }
    const types = Array.isArray(schema.type) ? schema.type : schema.type ? [schema.type] : [];
    const nullable = types.includes('null');
    const main = types.filter((t) => t !== 'null')[0];
    if (main === 'array') {
      const item = typeOf(schema.items ?? {});
      return { label: `array of ${item.label}`, inner: schema.items, nullable };
    }
    if ((main === 'object' || !main) && typeof schema.additionalProperties === 'object' && !schema.properties) {
      return { label: `object whose values are ${typeOf(schema.additionalProperties).label}s`, nullable };
    }
    if (main === 'object' || schema.properties) {
      const label = name ?? 'object';
      return { label, inner: schema.properties ? schema : undefined, nullable };
    }
    if (main === undefined && !name && schema.additionalProperties === undefined) return { label: 'any JSON value', nullable };
    let label = main ?? name ?? 'any JSON value';
    if (schema.format === 'date-time') label = 'date-time (ISO 8601)';
    else if (schema.enum) label = `${main ?? 'string'}, one of ${schema.enum.map((e) => `\`${String(e)}\``).join(', ')}`;
    return { label, nullable };
  }

  function describe(s: Schema): string {
    const { schema } = resolve(s);
    const parts: string[] = [];
    if (s.description) parts.push(s.description);
    else if (schema.description) parts.push(schema.description);
    const limits: string[] = [];
    for (const [k, label] of [
      ['minLength', 'min length'],
      ['maxLength', 'max length'],
      ['minimum', 'min'],
      ['maximum', 'max'],
      ['exclusiveMinimum', 'greater than'],
      ['minItems', 'min items'],
      ['maxItems', 'max items'],
      ['pattern', 'pattern'],
    ] as const) {
      if (schema[k] !== undefined) limits.push(`${label} \`${String(schema[k])}\``);
    }
    if (schema.default !== undefined) limits.push(`default \`${JSON.stringify(schema.default)}\``);
    if (s.example !== undefined || schema.example !== undefined) {
      limits.push(`example \`${JSON.stringify(s.example ?? schema.example)}\``);
    }
    if (limits.length) parts.push(`${limits.join('; ')}.`);
    return parts.join(' ');
  }

  function walk(s: Schema, prefix: string, depth: number) {
    const { schema, name } = resolve(s);
    const objectSchema = schema.properties ? schema : undefined;
    if (!objectSchema) return;
    const key = `${prefix}|${name ?? ''}`;
    if (name && seen.has(key)) return;
    if (name) seen.add(key);
    const required = new Set(objectSchema.required ?? []);
    for (const [field, fieldSchema] of Object.entries(objectSchema.properties ?? {})) {
      const path = prefix ? `${prefix}.${field}` : field;
      const t = typeOf(fieldSchema);
      rows.push({
        name: path,
        type: t.nullable ? `${t.label} or null` : t.label,
        required: required.has(field),
        description: describe(fieldSchema),
      });
      if (depth < 6 && t.inner) {
        const inner = resolve(t.inner).schema;
        if (inner.properties) walk(t.inner, t.label.startsWith('array') ? `${path}[]` : path, depth + 1);
      }
    }
  }

  if (root) {
    const { schema } = resolve(root);
    if (schema.type === 'array' && schema.items) walk(schema.items, '[]', 0);
    else walk(root, '', 0);
  }
  return rows;
}

function fieldTable(rows: Row[], caption: string): string {
  if (rows.length === 0) return `<p>${esc(caption)}: no fields.</p>`;
  const body = rows
    .map(
      (r) =>
        `<tr><th scope="row"><code>${esc(r.name)}</code></th><td>${renderInlineMarkdown(r.type)}</td><td>${r.required ? 'yes' : 'no'}</td><td>${r.description ? renderInlineMarkdown(r.description) : ''}</td></tr>`,
    )
    .join('\n');
  return `<div class="scroll" role="region" aria-label="${esc(caption)}" tabindex="0"><table>
<caption class="sr-only">${esc(caption)}</caption>
<thead><tr><th scope="col">Field</th><th scope="col">Type</th><th scope="col">Required</th><th scope="col">Description</th></tr></thead>
<tbody>
${body}
</tbody></table></div>`;
}

function parameterTable(params: NonNullable<Operation['parameters']>, doc: OpenApiDocument, caption: string): string {
  const rows: Row[] = params.map((p) => {
    const own = fieldRows(doc, { type: 'object', properties: { [p.name]: { ...(p.schema ?? {}), description: p.description ?? p.schema?.description } } });
    return { ...own[0]!, name: `${p.name} (${p.in === 'header' ? 'header' : p.in === 'path' ? 'path' : 'query'})`, required: Boolean(p.required) };
  });
  return fieldTable(rows, caption);
}

/** Splits Markdown on its `## ` headings, so the page chooses the heading levels. */
function markdownSections(md: string): { title: string | null; body: string }[] {
  const sections: { title: string | null; body: string }[] = [];
  let current: { title: string | null; lines: string[] } = { title: null, lines: [] };
  for (const line of md.split('\n')) {
    const m = /^##\s+(.*)$/.exec(line);
    if (m) {
      sections.push({ title: current.title, body: current.lines.join('\n') });
      current = { title: m[1]!, lines: [] };
    } else current.lines.push(line);
  }
  sections.push({ title: current.title, body: current.lines.join('\n') });
  return sections.filter((s) => s.title || s.body.trim());
}

const STYLE = `
:root { color-scheme: light dark; --fg: #1b1f24; --bg: #ffffff; --muted: #4a5360; --line: #c9d1d9; --code: #f3f5f7; --link: #0b57d0; --get: #0b6b2e; --post: #0a4fa3; --patch: #8a4b00; --put: #6f3fb0; --delete: #a11; }
@media (prefers-color-scheme: dark) { :root { --fg: #e6e9ed; --bg: #111418; --muted: #aab3bd; --line: #3a434d; --code: #1d232a; --link: #8ab4ff; --get: #6ed492; --post: #8cc2ff; --patch: #ffc27a; --put: #cfb1ff; --delete: #ff9c9c; } }
* { box-sizing: border-box; }
body { margin: 0; font: 1rem/1.55 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
a { color: var(--link); }
a:focus-visible, [tabindex]:focus-visible { outline: 3px solid var(--link); outline-offset: 2px; }
.skip { position: absolute; left: -999px; top: 0; background: var(--bg); padding: .5rem 1rem; }
.skip:focus { left: 0; z-index: 1; }
header, main, nav { max-width: 72rem; margin: 0 auto; padding: 0 1rem; }
header { padding-top: 1.5rem; border-bottom: 1px solid var(--line); }
h1 { margin: 0 0 .25rem; font-size: 1.9rem; }
h2 { margin-top: 2.5rem; padding-top: .5rem; border-top: 2px solid var(--line); }
h3 { margin-top: 2rem; font-size: 1.2rem; }
h4 { margin-bottom: .25rem; font-size: 1rem; }
code, pre { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .92em; background: var(--code); border-radius: 4px; }
code { padding: .05em .3em; }
pre { padding: .75rem; white-space: pre-wrap; overflow-wrap: anywhere; }
code { overflow-wrap: anywhere; }
pre code { padding: 0; background: none; }
.muted { color: var(--muted); }
.method { display: inline-block; min-width: 4.2em; font-family: ui-monospace, Menlo, Consolas, monospace; font-weight: 700; text-transform: uppercase; }
.method-get { color: var(--get); } .method-post { color: var(--post); } .method-patch { color: var(--patch); } .method-put { color: var(--put); } .method-delete { color: var(--delete); }
.operation { border-left: 4px solid var(--line); padding-left: 1rem; margin-top: 2rem; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; margin: .5rem 0 1rem; font-size: .95rem; }
caption { text-align: left; font-weight: 600; padding: .25rem 0; }
/* The heading above each table names it on screen; the caption names it for assistive technology. */
.sr-only { position: absolute; width: 1px; height: 1px; margin: -1px; padding: 0; overflow: hidden; clip-path: inset(50%); white-space: nowrap; border: 0; }
th, td { text-align: left; vertical-align: top; border: 1px solid var(--line); padding: .35rem .5rem; }
thead th { background: var(--code); }
tbody th { font-weight: normal; white-space: nowrap; }
nav ul { columns: 2 18rem; padding-left: 1.2rem; }
nav li { break-inside: avoid; }
dl.responses dt { font-weight: 600; margin-top: .5rem; }
dl.responses dd { margin-left: 1rem; }
@media print { .skip, nav { display: none; } a { color: inherit; } }
`;

export function renderDocsPage(doc: OpenApiDocument): string {
  const info = doc.info;
  const tags = (doc.tags ?? []).map((t) => ({ name: t.name, description: t.description ?? '' }));
  const ops: { method: string; path: string; op: Operation; tag: string }[] = [];
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    for (const method of METHODS) {
      const op = (item as Record<string, Operation | undefined>)[method];
      if (op) ops.push({ method, path, op, tag: op.tags?.[0] ?? 'Other' });
    }
  }
  for (const o of ops) if (!tags.some((t) => t.name === o.tag)) tags.push({ name: o.tag, description: '' });
  const groups = tags.map((t) => ({ ...t, ops: ops.filter((o) => o.tag === t.name) })).filter((g) => g.ops.length > 0);
  const base = doc.servers?.[0]?.url ?? '';

  const toc = groups
    .map(
      (g) =>
        `<li><a href="#tag-${slug(g.name)}">${esc(g.name)}</a><ul>${g.ops
          .map((o) => `<li><a href="#${operationAnchor(o.method, o.path)}">${esc(o.op.summary ?? `${o.method.toUpperCase()} ${o.path}`)}</a></li>`)
          .join('')}</ul></li>`,
    )
    .join('\n');

  // Markdown tables scroll on their own on a narrow screen, reachable by keyboard, like the field tables.
  const scrollTables = (html: string, label: string) =>
    html
      .replaceAll('<table>', `<div class="scroll" role="region" aria-label="${esc(label)}" tabindex="0"><table>`)
      .replaceAll('</table>', '</table></div>');
  const intro = markdownSections(info.description ?? '')
    .map(
      (s) =>
        `${s.title ? `<h3 id="intro-${slug(s.title)}">${esc(s.title)}</h3>` : ''}${scrollTables(renderMarkdown(s.body), s.title ?? 'Table')}`,
    )
    .join('\n');

  const sections = groups
    .map((g) => {
      const body = g.ops
        .map(({ method, path, op }) => {
          const scope = op.security?.[0]?.bearerAuth?.[0];
          const params = (op.parameters ?? []).filter(Boolean);
          const requestSchema = op.requestBody?.content?.['application/json']?.schema;
          const responses = Object.entries(op.responses ?? {});
          const success = responses.filter(([status]) => status.startsWith('2'));
          const errors = responses.filter(([status]) => !status.startsWith('2'));
          const anchor = operationAnchor(method, path);
          return `<section class="operation" id="${anchor}" aria-labelledby="${anchor}-title">
<h3 id="${anchor}-title"><span class="method method-${method}">${method.toUpperCase()}</span> <code>${esc(base + path)}</code></h3>
<p><strong>${esc(op.summary ?? '')}</strong>${scope ? ` <span class="muted">· scope <code>${esc(scope)}</code></span>` : ''}</p>
${op.description ? renderMarkdown(op.description) : ''}
${params.length ? `<h4>Parameters</h4>${parameterTable(params, doc, `Parameters of ${method.toUpperCase()} ${path}`)}` : ''}
${requestSchema ? `<h4>Request body <span class="muted">(application/json${op.requestBody?.required ? '' : ', optional'})</span></h4>${fieldTable(fieldRows(doc, requestSchema), `Request body of ${method.toUpperCase()} ${path}`)}` : ''}
${success
  .map(([status, r]) => {
    const schema = r.content?.['application/json']?.schema;
    return `<h4>Response ${esc(status)}</h4><p>${renderInlineMarkdown(r.description ?? '')}</p>${schema ? fieldTable(fieldRows(doc, schema), `Response ${status} of ${method.toUpperCase()} ${path}`) : ''}`;
  })
  .join('\n')}
${errors.length ? `<h4>Errors</h4><dl class="responses">${errors.map(([status, r]) => `<dt>${esc(status)}</dt><dd>${renderInlineMarkdown(r.description ?? '')}</dd>`).join('')}</dl>` : ''}
</section>`;
        })
        .join('\n');
      return `<section aria-labelledby="tag-${slug(g.name)}"><h2 id="tag-${slug(g.name)}">${esc(g.name)}</h2>${g.description ? `<p>${esc(g.description)}</p>` : ''}
${body}</section>`;
    })
    .join('\n');

  const errorRows = fieldRows(doc, { $ref: '#/components/schemas/Error' });

  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(info.title)} ${esc(info.version)} reference</title>
<meta name="description" content="Reference of the ${esc(info.title)}: every endpoint, field and error.">
<style>${STYLE}</style>
</head>
<body>
<a class="skip" href="#main">Skip to the reference</a>
<header>
<h1>${esc(info.title)} reference</h1>
<p class="muted">Version ${esc(info.version)} · OpenAPI ${esc(doc.openapi)} · <a href="openapi.json">Download the OpenAPI document (JSON)</a></p>
</header>
<nav aria-labelledby="toc-title"><h2 id="toc-title">Contents</h2>
<ul>
<li><a href="#using">Using the API</a></li>
${toc}
<li><a href="#error-shape">Error body fields</a></li>
</ul></nav>
<main id="main" tabindex="-1">
<section aria-labelledby="using"><h2 id="using">Using the API</h2>
<p>Base URL: <code>${esc(base)}</code></p>
${intro}
</section>
${sections}
<section aria-labelledby="error-shape"><h2 id="error-shape">Error body fields</h2>
${fieldTable(errorRows, 'Fields of every error body')}
</section>
</main>
</body>
</html>`;
}
