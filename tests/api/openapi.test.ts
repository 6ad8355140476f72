/**
 * The OpenAPI 3.1 document and the reference page generated from it: complete (every route the app serves is
 * in it), self-consistent (references resolve, schemas compile as JSON Schema 2020-12), and true (real
 * responses validate against the schemas it documents).
 */
// ajv comes with the dev tooling (@astrojs/check); it is only used here, to check our own document.
import Ajv2020 from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { createApi } from '../../src/http/api.ts';
import { createV1 } from '../../src/http/v1/app.ts';
import { operationAnchor } from '../../src/http/v1/docs.ts';
import { V1, useApi } from './support.ts';

const api = useApi();
const METHODS = ['get', 'post', 'put', 'patch', 'delete'];
const unusedDeps = { ctx: () => { throw new Error('unused'); }, databaseKind: 'pglite' as const };

type Doc = {
  openapi: string;
  info: { title: string; version: string };
  paths: Record<string, Record<string, any>>;
  components: { schemas: Record<string, any>; securitySchemes: Record<string, any> };
  tags: { name: string }[];
};

async function fetchDocument(): Promise<{ res: Response; doc: Doc }> {
  const res = await createApi(unusedDeps).request('/v1/openapi.json');
  return { res, doc: (await res.clone().json()) as Doc };
}

function operationsOf(doc: Doc) {
  return Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([method]) => METHODS.includes(method))
      .map(([method, op]) => ({ method, path, op })),
  );
}

function newAjv(doc: Doc) {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  // Responses promise UTC with a Z; requests may carry an offset.
  ajv.addFormat('date-time', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/);
  ajv.addSchema({ $id: 'doc', components: doc.components });
  return ajv;
}

/** Validates a real response body against the schema the document gives for it. */
function validatorFor(doc: Doc) {
  const ajv = newAjv(doc);
  const rewrite = (schema: unknown): unknown =>
    JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', '"doc#/components/'));
  return (method: string, templatePath: string, status: number, body: unknown) => {
    const op = doc.paths[templatePath]?.[method];
    const schema = op?.responses?.[String(status)]?.content?.['application/json']?.schema;
    if (!schema) throw new Error(`no documented ${status} response for ${method.toUpperCase()} ${templatePath}`);
    const validate = ajv.compile(rewrite(schema) as object);
    const ok = validate(body);
    return ok ? null : JSON.stringify(validate.errors, null, 1);
  };
}

describe('GET /api/v1/openapi.json', () => {
  it('is an OpenAPI 3.1.0 document, public, as JSON', async () => {
    const { res, doc } = await fetchDocument();
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.info).toMatchObject({ title: 'Vedetta API', version: expect.any(String) });
    expect(doc.components.securitySchemes.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(() => JSON.parse(JSON.stringify(doc))).not.toThrow();
  });

  it('lists every route the API serves, and nothing it does not', async () => {
    const { doc } = await fetchDocument();
    // Hono lists a route once per handler (scope check, validators, handler): one entry per method and path.
    const served = new Set(
      createV1(unusedDeps)
        .routes.filter((r) => METHODS.includes(r.method.toLowerCase()))
        .map((r) => `${r.method.toLowerCase()} ${r.path.replace(/:([^/]+)/g, '{$1}')}`)
        .filter((r) => r !== 'get /openapi.json' && r !== 'get /docs'),
    );
    const documented = operationsOf(doc).map((o) => `${o.method} ${o.path}`);
    expect(new Set(documented).size).toBe(documented.length);
    expect([...documented].sort()).toEqual([...served].sort());
    expect(documented.length).toBeGreaterThanOrEqual(44);
  });

  it('describes every operation completely', async () => {
    const { doc } = await fetchDocument();
    const tags = new Set(doc.tags.map((t) => t.name));
    const ids = new Set<string>();
    for (const { method, path, op } of operationsOf(doc)) {
      const label = `${method.toUpperCase()} ${path}`;
      expect(op.operationId, label).toMatch(/^[a-z][A-Za-z]+$/);
      expect(ids.has(op.operationId), `${label}: duplicate operationId`).toBe(false);
      ids.add(op.operationId);
      expect(op.summary, label).toBeTruthy();
      expect(op.tags?.length, label).toBe(1);
      expect(tags.has(op.tags[0]), label).toBe(true);
      expect(op.security, label).toEqual([{ bearerAuth: [op['x-scope']] }]);
      expect(['read', 'write', 'admin'], label).toContain(op['x-scope']);
      expect(op.description, label).toContain(`\`${op['x-scope']}\` scope`);

      const success = Object.keys(op.responses).filter((s) => s.startsWith('2'));
      expect(success.length, label).toBe(1);
      expect(op.responses[success[0]!].content['application/json'].schema, label).toBeTruthy();
      for (const status of ['401', '403']) expect(op.responses[status]?.content['application/json'].schema.$ref, label).toBe('#/components/schemas/Error');
      if (op.requestBody) for (const status of ['400', '415', '422']) expect(op.responses[status], `${label} ${status}`).toBeTruthy();

      const params = (op.parameters ?? []) as { name: string; in: string; required?: boolean; schema?: { type?: unknown } }[];
      // A path, query or header value is text: none can be null, so none is documented as nullable.
      for (const p of params) expect([p.schema?.type].flat(), `${label}: parameter ${p.name}`).not.toContain('null');
      for (const name of [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1])) {
        expect(params.find((p) => p.in === 'path' && p.name === name)?.required, `${label}: path parameter ${name}`).toBe(true);
        expect(op.responses['404'], `${label}: 404`).toBeTruthy();
      }
      if (method === 'post') expect(params.some((p) => p.in === 'header' && p.name === 'Idempotency-Key'), label).toBe(true);
    }
  });

  it('every reference resolves and every schema compiles as JSON Schema 2020-12', async () => {
    const { doc } = await fetchDocument();
    const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"([^"]+)"/g)].map((m) => m[1]!);
    expect(refs.length).toBeGreaterThan(50);
    for (const ref of new Set(refs)) {
      expect(ref, ref).toMatch(/^#\/components\/schemas\//);
      expect(doc.components.schemas[ref.split('/').pop()!], ref).toBeTruthy();
    }
    // A nullable reference must be anyOf [$ref, null]: allOf [$ref, {type: [object, null]}] accepts no null.
    const nullableAllOf = JSON.stringify(doc).match(/"allOf":\[\{"\$ref":"[^"]+"\},\{"type":\[[^\]]*"null"/g);
    expect(nullableAllOf).toBeNull();
    const ajv = newAjv(doc);
    for (const name of Object.keys(doc.components.schemas)) {
      expect(() => ajv.getSchema(`doc#/components/schemas/${name}`), name).not.toThrow();
    }
  });

  it('real responses match the documented schemas', () =>
    api.run(async (a) => {
      const { doc } = await fetchDocument();
      const check = validatorFor(doc);
      const admin = await a.token('admin');
      const svc = await a.service();
      const seen: string[] = [];
      const expectConforms = async (method: string, template: string, path: string, status: number, body?: unknown) => {
        const res = await a.call(method.toUpperCase(), V1 + path, { token: admin, body });
        expect(res.status, `${method} ${path}: ${res.text}`).toBe(status);
        expect(check(method, template, status, res.body), `${method} ${template}`).toBeNull();
        seen.push(`${method} ${template}`);
        return res.body;
      };
      const created = await expectConforms('post', '/incidents', '/incidents', 201, {
        title: { it: 'Guasto', en: 'Outage' },
        impact: 'major',
        body: { it: 'Verifichiamo.' },
        services: [{ service: svc.key, status: 'partial_outage' }],
        next_update_by: new Date(a.ctx.now().getTime() + 3_600_000).toISOString(),
      });
      const id = created.incident.id;
      const milestone = await expectConforms('post', '/incidents/{id}/milestones', `/incidents/${id}/milestones`, 201, {
        title: { it: 'Ripristino' },
        service: svc.key,
      });
      await expectConforms('post', '/incidents/{id}/faq', `/incidents/${id}/faq`, 201, { question: { it: 'Perché?' }, answer: { it: 'Perché sì.' } });
      await expectConforms('post', '/notices', '/notices', 201, {
        incident_id: id,
        title: { it: 'Dati mancanti' },
        services: [svc.key],
        windows: [{ scope: { it: 'Tutte le aree' }, restored_until: '2026-03-09T00:00:00Z' }],
      });
      await expectConforms('post', '/milestones/{id}/state', `/milestones/${milestone.id}/state`, 200, { state: 'in_progress' });
      await expectConforms('get', '/incidents/{id}', `/incidents/${id}`, 200);
      await expectConforms('get', '/incidents', '/incidents', 200);
      await expectConforms('get', '/dashboard', '/dashboard', 200);
      await expectConforms('get', '/audit', '/audit?limit=5', 200);
      await expectConforms('get', '/services', '/services', 200);
      await expectConforms('post', '/services/{key}/heartbeat', `/services/${svc.key}/heartbeat`, 200);
      await expectConforms('post', '/services/{key}/backlog', `/services/${svc.key}/backlog`, 201, {
        metric: 'queue',
        label: { it: 'Coda' },
        count: 3,
      });
      await expectConforms('post', '/maintenance', '/maintenance', 201, {
        title: { it: 'Aggiornamento' },
        services: [svc.key],
        scheduled_start: new Date(a.ctx.now().getTime() + 86_400_000).toISOString(),
        scheduled_end: new Date(a.ctx.now().getTime() + 90_000_000).toISOString(),
      });
      await expectConforms('get', '/maintenance', '/maintenance', 200);
      await expectConforms('post', '/tokens', '/tokens', 201, { name: 'monitoring', scopes: ['write'] });
      await expectConforms('get', '/tokens', '/tokens', 200);
      await expectConforms('get', '/operators', '/operators', 200);
      await expectConforms('post', '/incidents/{id}/resolve', `/incidents/${id}/resolve`, 200, { body: { it: 'Risolto.' } });
      expect(seen.length).toBe(18);

      // Errors too: the one shape.
      const res = await a.get(`${V1}/incidents/nope`, admin);
      expect(check('get', '/incidents/{id}', 404, res.body)).toBeNull();
    }));
});

describe('GET /api/v1/docs', () => {
  it('renders a self-contained, accessible HTML reference of every operation', async () => {
    const app = createApi(unusedDeps);
    const res = await app.request('/v1/docs');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await res.text();
    const { doc } = await fetchDocument();

    expect(html).toMatch(/^<!doctype html>\n<html lang="en">/);
    expect(html).toContain('<title>Vedetta API');
    expect(html.match(/<h1[\s>]/g)).toHaveLength(1);
    expect(html).toContain('<main id="main"');
    expect(html).toContain('<a class="skip" href="#main">');
    // No script, no third-party request: nothing is loaded from anywhere.
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/\s(src|srcset)=/i);
    expect(html).not.toMatch(/<link\b/i);
    expect(html).not.toMatch(/url\(/i);
    expect(html).not.toMatch(/@import/i);

    // Headings never skip a level.
    const levels = [...html.matchAll(/<h([1-6])[\s>]/g)].map((m) => Number(m[1]));
    for (let i = 1; i < levels.length; i++) expect(levels[i]! - levels[i - 1]!, `heading ${i}`).toBeLessThanOrEqual(1);
    // Ids are unique (anchors and aria-labelledby work).
    const ids = [...html.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]);
    expect(new Set(ids).size).toBe(ids.length);
    // Every field table has a caption, column headers and row headers with their scope, and scrolls on its own
    // (keyboard-reachable) on a narrow screen.
    const fieldTables = html.match(/<div class="scroll" role="region" aria-label="[^"]+" tabindex="0"><table>\n<caption class="sr-only">/g) ?? [];
    expect(fieldTables.length).toBeGreaterThan(80);
    expect(html.match(/<caption/g)!.length).toBe(fieldTables.length);
    // Markdown tables (the error codes) scroll the same way.
    expect(html.match(/<table>/g)!.length).toBe(html.match(/<div class="scroll" role="region"/g)!.length);
    expect(html).not.toMatch(/<tbody>\n<tr><td/);

    for (const { method, path, op } of operationsOf(doc)) {
      const anchor = operationAnchor(method, path);
      expect(html, anchor).toContain(`id="${anchor}"`);
      expect(html, anchor).toContain(`href="#${anchor}"`);
      expect(html, anchor).toContain(`<code>/api/v1${path}</code>`);
      expect(html, anchor).toContain(op.summary.replace(/&/g, '&amp;').replace(/</g, '&lt;'));
    }
    // The conventions are on the page, not only in the document.
    for (const text of ['snake_case', 'Idempotency-Key', 'X-Request-Id', 'requestId', 'expected_version', 'Bearer vdt_']) {
      expect(html, text).toContain(text);
    }
    // Nested request fields are spelled out, described references included.
    expect(html).toContain('<code>services[].status</code>');
    expect(html).toContain('<code>title.it</code>');
    expect(html).toContain('<code>body.en</code>');
    expect(html).not.toContain('<td>any</td>');
    expect(html).toContain('<td>object whose values are strings</td>');
  });
});
