/**
 * The console speaks the operator's language even when a service refuses: the services' English messages are
 * translated by the admin dictionary (src/i18n/admin), field reasons included.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { failureOf } from '../../../src/http/console-page.ts';
import { adminDict } from '../../../src/i18n/admin/index.ts';
import { resolveIncident } from '../../../src/services/incidents.ts';
import { scheduleMaintenance, startMaintenance, updateMaintenance } from '../../../src/services/maintenance.ts';
import { dbTest as test } from '../../support/db.ts';
import { HOUR, ctxFor, makeIncident, makeService } from './helpers.ts';

const T = new Date('2026-03-19T09:00:00Z');
const it_ = adminDict('it');
const txt = (it: string) => ({ it, en: `EN ${it}` });

async function refusal(promise: Promise<unknown>) {
  try {
    await promise;
  } catch (error) {
    return failureOf(error, it_);
  }
  throw new Error('expected the service to refuse');
}

describe('service refusals in the Italian console', { timeout: 60_000 }, () => {
  test('a duplicate service key, a second resolution and an edit of a started window', async ({ db }) => {
    const ctx = ctxFor(db, { now: T });
    const svc = await makeService(ctx);
    expect((await refusal(makeService(ctx, { key: svc.key }))).message).toBe(`Esiste già un servizio con chiave «${svc.key}».`);

    const { incident } = await makeIncident(ctx);
    await resolveIncident(ctx, { incidentId: incident.id, body: txt('Risolto') });
    const again = await refusal(resolveIncident(ctx, { incidentId: incident.id, body: txt('Ancora') }));
    expect(again.message).toBe('L’incidente è già chiuso.');
    expect(again.fields.status).toBe('già chiuso');

    const window = await scheduleMaintenance(ctx, {
      title: txt('Finestra'),
      services: [svc.key],
      scheduledStart: new Date(T.getTime() + HOUR),
      scheduledEnd: new Date(T.getTime() + 3 * HOUR),
    });
    await startMaintenance(ctx, { maintenanceId: window.id });
    const moved = await refusal(updateMaintenance(ctx, { maintenanceId: window.id, scheduledStart: new Date(T.getTime() + 2 * HOUR) }));
    expect(moved.message).toBe(it_.errors.validation);
    expect(moved.fields.scheduledStart).toBe('è già iniziata');
  });
});

describe('the admin dictionary', () => {
  it('translates every fixed message a service can refuse with', () => {
    // Fixed sentences only (templated ones are covered by patterns, exercised above): a new refusal added in
    // English without its Italian text would reach an Italian operator untranslated.
    const dir = join(import.meta.dirname, '../../../src/services');
    const messages = new Set<string>();
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.ts'))) {
      const source = readFileSync(join(dir, file), 'utf8');
      for (const m of source.matchAll(/new ServiceError\(\s*'(?:validation_failed|conflict)',\s*'([^']+)'/g)) messages.add(m[1]!);
    }
    expect(messages.size).toBeGreaterThan(5);
    const untranslated = [...messages].filter(
      (m) => it_.serviceMessages[m] === undefined && !it_.serviceMessagePatterns.some(([p]) => p.test(m)),
    );
    expect(untranslated).toEqual([]);
  });
});
