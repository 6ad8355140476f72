/** One error shape for every failure: invalid JSON, validation, unknown ids and routes, conflicts, size. */
import { describe, expect, it } from 'vitest';
import { V1, expectError, useApi } from './support.ts';

const api = useApi();

describe('the error shape', () => {
  it('invalid JSON is a 400 with a clear message', () =>
    api.run(async (a) => {
      const write = await a.token('write');
      for (const raw of ['{"title": ', 'not json', '{"a":1}}']) {
        const error = expectError(await a.call('POST', `${V1}/incidents`, { token: write, raw }), 400, 'invalid_json');
        expect(error.message).toBe('The request body is not valid JSON. Send a JSON object with Content-Type: application/json.');
      }
    }));

  it('a body that is not JSON is a 415; a JSON value that is not an object is a 422', () =>
    api.run(async (a) => {
      const write = await a.token('write');
      expectError(
        await a.call('POST', `${V1}/incidents`, { token: write, raw: 'title=x', headers: { 'Content-Type': 'application/x-www-form-urlencoded' } }),
        415,
        'unsupported_media_type',
      );
      expectError(await a.call('POST', `${V1}/incidents`, { token: write, raw: '[1,2]' }), 422, 'validation_failed');
    }));

  it('validation failures answer 422 naming every wrong field in wire (snake_case) names', () =>
    api.run(async (a) => {
      const write = await a.token('write');
      const res = await a.post(`${V1}/incidents`, write, {
        title: { en: 'No Italian' },
        impact: 'apocalyptic',
        body: { it: 'ok' },
        services: [{ service: 'Not A Key', status: 'down' }],
        next_update_by: 'tomorrow-ish',
      });
      const error = expectError(res, 422, 'validation_failed');
      expect(Object.keys(error.fields!).sort()).toEqual(
        ['impact', 'next_update_by', 'services.0.service', 'services.0.status', 'title.it'].sort(),
      );
      expect(error.message).toMatch(/^Invalid input: /);
      for (const field of Object.keys(error.fields!)) expect(error.message).toContain(field);
      // A field left out says so.
      expect(error.fields!['title.it']).toBe('required');
    }));

  it('an unknown field, at the top or nested, is refused by its name and nothing is written', () =>
    api.run(async (a) => {
      const write = await a.token('write');
      const svc = await a.service();
      const before = (await a.get(`${V1}/incidents`, write)).body.total;
      // A typo in `notify` must not fall back to the default and e-mail everyone.
      const res = await a.post(`${V1}/incidents`, write, {
        title: { it: 'Titolo', de: 'Titel' },
        impact: 'minor',
        body: { it: 'Testo.' },
        services: [{ service: svc.key, status: 'major_outage', note: 'x' }],
        notfy: false,
      });
      const error = expectError(res, 422, 'validation_failed');
      expect(error.fields).toEqual({ notfy: 'unknown field', 'title.de': 'unknown field', 'services.0.note': 'unknown field' });
      expect(error.message).toBe('Invalid input: title.de, services.0.note, notfy.');
      expect((await a.get(`${V1}/incidents`, write)).body.total).toBe(before);
    }));

  it('rules checked by the services come back with wire names too', () =>
    api.run(async (a) => {
      const write = await a.token('write');
      const svc = await a.service();
      // Unknown service key (a reference the body schema cannot know).
      const unknown = await a.post(`${V1}/incidents`, write, {
        title: { it: 'X' },
        impact: 'minor',
        body: { it: 'X' },
        services: [{ service: 'no-such-service', status: 'major_outage' }],
      });
      expect(expectError(unknown, 422, 'validation_failed').fields).toEqual({ services: 'unknown: no-such-service' });
      // A milestone names one service, in `service`: the error names that field, not a `services` it does not have.
      const incident = await a.post(`${V1}/incidents`, write, { title: { it: 'X' }, impact: 'minor', body: { it: 'X' } });
      const plan = await a.post(`${V1}/incidents/${incident.body.incident.id}/milestones`, write, {
        title: { it: 'Passo' },
        service: 'no-such-service',
      });
      expect(expectError(plan, 422, 'validation_failed').fields).toEqual({ service: 'unknown: no-such-service' });

      // A window that ends before it starts (a cross-field rule of the service): camelCase becomes snake_case.
      const notice = await a.post(`${V1}/notices`, write, {
        title: { it: 'Dati mancanti' },
        services: [svc.key],
        windows: [{ scope: { it: 'Tutte le aree' }, restored_until: '2026-03-10T00:00:00Z', gap_ends_at: '2026-03-09T00:00:00Z' }],
      });
      const error = expectError(notice, 422, 'validation_failed');
      expect(error.fields).toEqual({ 'windows.0.gap_ends_at': 'must be after restored_until' });
      expect(error.message).toContain('windows.0.gap_ends_at');

      // A backlog figure's age: the service's oldestAgeSeconds is the wire's oldest_age_s.
      const backlog = await a.post(`${V1}/services/${svc.key}/backlog`, write, {
        metric: 'queue',
        label: { it: 'Coda' },
        count: -1,
        oldest_age_s: -5,
      });
      expect(Object.keys(expectError(backlog, 422, 'validation_failed').fields!).sort()).toEqual(['count', 'oldest_age_s']);
    }));

  it('a lifecycle violation names the field', () =>
    api.run(async (a) => {
      const write = await a.token('write');
      const created = await a.post(`${V1}/incidents`, write, { title: { it: 'X' }, impact: 'minor', body: { it: 'X' } });
      const res = await a.post(`${V1}/incidents/${created.body.incident.id}/postmortem`, write, { body: { it: 'Analisi' } });
      const error = expectError(res, 422, 'validation_failed');
      expect(Object.keys(error.fields!)).toEqual(['status']);
    }));

  it('unknown ids answer 404 in the same JSON shape, for every kind of object', () =>
    api.run(async (a) => {
      const admin = await a.token('admin');
      const cases: [string, string, unknown?][] = [
        ['GET', `${V1}/incidents/nope`],
        ['PATCH', `${V1}/incidents/nope`, { expected_version: 1, impact: 'minor' }],
        ['POST', `${V1}/incidents/nope/updates`, { status: 'identified', body: { it: 'x' } }],
        ['POST', `${V1}/incidents/nope/resolve`, { body: { it: 'x' } }],
        ['GET', `${V1}/incidents/nope/milestones`],
        ['POST', `${V1}/incidents/nope/milestones`, { title: { it: 'x' } }],
        ['POST', `${V1}/milestones/nope/state`, { state: 'done' }],
        ['PATCH', `${V1}/milestones/nope`, { title: { it: 'x' } }],
        ['PATCH', `${V1}/faq/nope`, { answer: { it: 'x' } }],
        ['GET', `${V1}/notices/nope`],
        ['POST', `${V1}/notices/nope/close`],
        ['GET', `${V1}/maintenance/nope`],
        ['POST', `${V1}/maintenance/nope/start`],
        ['GET', `${V1}/services/nope`],
        ['PATCH', `${V1}/services/nope`, { sort_order: 3 }],
        ['POST', `${V1}/services/nope/heartbeat`],
        ['POST', `${V1}/services/nope/status`, { status: 'major_outage' }],
        ['POST', `${V1}/services/nope/backlog`, { metric: 'queue', label: { it: 'Coda' }, count: 1 }],
        ['POST', `${V1}/tokens/nope/revoke`],
        ['PATCH', `${V1}/operators/nope`, { name: 'x' }],
      ];
      for (const [method, path, body] of cases) {
        const res = await a.call(method, path, { token: admin, body });
        const error = expectError(res, 404, 'not_found');
        expect(error.message, `${method} ${path}`).toContain('"nope"');
      }
    }));

  it('an unknown route is a JSON 404 too (with a token; without one it is a 401 like any API path)', () =>
    api.run(async (a) => {
      const read = await a.token('read');
      const error = expectError(await a.get(`${V1}/no-such-thing`, read), 404, 'not_found');
      expect(error.message).toBe('No API route GET /api/v1/no-such-thing.');
      expectError(await a.get('/api/v2/incidents', null), 404, 'not_found');
      expectError(await a.get(`${V1}/no-such-thing`, null), 401, 'unauthorized');
    }));

  it('a known path with a method it does not take is a 405 that lists the methods it does take', () =>
    api.run(async (a) => {
      const admin = await a.token('admin');
      const onList = await a.call('PUT', `${V1}/incidents`, { token: admin, body: {} });
      expectError(onList, 405, 'method_not_allowed');
      expect(onList.headers.get('allow')).toBe('GET, HEAD, POST');
      const onItem = await a.call('DELETE', `${V1}/services/any-key`, { token: admin });
      expectError(onItem, 405, 'method_not_allowed');
      expect(onItem.headers.get('allow')).toContain('PATCH');
      expect(onItem.headers.get('allow')).not.toContain('DELETE');
    }));

  it('every response carries X-Request-Id; a sane client id is kept, a strange one replaced', () =>
    api.run(async (a) => {
      const read = await a.token('read');
      const ok = await a.get(`${V1}/services`, read);
      expect(ok.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
      const mine = await a.call('GET', `${V1}/incidents/nope`, { token: read, headers: { 'X-Request-Id': 'pipeline-run-42' } });
      expect(mine.headers.get('x-request-id')).toBe('pipeline-run-42');
      expect(mine.body.requestId).toBe('pipeline-run-42');
      const strange = await a.call('GET', `${V1}/services`, { token: read, headers: { 'X-Request-Id': 'a b<c>' } });
      expect(strange.headers.get('x-request-id')).not.toBe('a b<c>');
      expect((await a.call('GET', '/api/health')).headers.get('x-request-id')).toBeTruthy();
    }));

  it('a version conflict is a 409 that says what changed and what to do', () =>
    api.run(async (a) => {
      const write = await a.token('write');
      const created = await a.post(`${V1}/incidents`, write, { title: { it: 'Guasto' }, impact: 'major', body: { it: 'Verifichiamo.' } });
      const { id, version } = created.body.incident;
      // Someone else posts first...
      expect((await a.post(`${V1}/incidents/${id}/updates`, write, { status: 'identified', body: { it: 'Trovato.' }, expected_version: version })).status).toBe(201);
      // ...so the update written from the old version is refused, not silently stacked on theirs.
      const late = await a.post(`${V1}/incidents/${id}/updates`, write, { status: 'monitoring', body: { it: 'Risolto?' }, expected_version: version });
      const error = expectError(late, 409, 'conflict');
      expect(error.message).toContain(`now at version ${version + 1}, you started from version ${version}`);
      expect(error.message).toMatch(/Reload it/);
      expect(error.fields).toMatchObject({ expected_version: `current version is ${version + 1}` });

      const edit = await a.patch(`${V1}/incidents/${id}`, write, { expected_version: version, impact: 'critical' });
      expectError(edit, 409, 'conflict');
      // PATCH requires the version: without it the edit is a 422 naming the field.
      expect(expectError(await a.patch(`${V1}/incidents/${id}`, write, { impact: 'critical' }), 422, 'validation_failed').fields).toHaveProperty(
        'expected_version',
      );
    }));

  it('a body over 1 MiB is refused with 413', () =>
    api.run(async (a) => {
      const write = await a.token('write');
      const res = await a.call('POST', `${V1}/incidents`, { token: write, raw: JSON.stringify({ title: { it: 'x'.repeat(1_100_000) } }) });
      expectError(res, 413, 'payload_too_large');
    }));
});
