/**
 * Helpers for the public read-side tests: a file database with the demo scenario loaded once (beforeAll,
 * outside the per-test transactions), an EMPTY database, the public Hono app bound to a test's context, and
 * a small story of our own whose every detail the tests know (an incident that is opened, updated and
 * resolved, with a milestone, a notice and a maintenance).
 */
import { beforeAll } from 'vitest';
import { XMLValidator } from 'fast-xml-parser';
import { loadDemoScenario } from '../../src/demo/scenario.ts';
import { createPublicRoutes } from '../../src/http/public/index.ts';
import { createService } from '../../src/services/catalog.ts';
import type { Ctx } from '../../src/services/context.ts';
import { createIncident, postIncidentUpdate } from '../../src/services/incidents.ts';
import { scheduleMaintenance } from '../../src/services/maintenance.ts';
import { publishNotice } from '../../src/services/notices.ts';
import { addMilestone, changeMilestone } from '../../src/services/recovery.ts';
import { type CtxOptions, type TestDatabase, makeCtx, useTestDatabase } from '../support/db.ts';

/** "Day 19" of the scenario, frozen: every test sees the same page. */
export const NOW = new Date('2026-03-19T16:00:00Z');
export const SITE = 'https://status.example.test';
export const CTX: CtxOptions = { now: NOW, siteUrl: SITE };

/** A database for the enclosing describe, with the demo loaded once before its tests. */
export function useDemoDatabase(): TestDatabase {
  const t = useTestDatabase();
  beforeAll(async () => {
    await loadDemoScenario(makeCtx(t.db, CTX), { today: NOW, day: 19 });
  }, 180_000);
  return t;
}

/** The public routes as the site mounts them, reading through the test's context as an anonymous reader. */
export function publicApp(ctx: Ctx) {
  return createPublicRoutes({ ctx: () => ({ ...ctx, actor: { kind: 'public', id: 'anonymous' } }) });
}

export type App = ReturnType<typeof publicApp>;

export async function get(app: App, path: string, headers: Record<string, string> = {}) {
  const res = await app.request(path, { headers });
  return { res, status: res.status, body: await res.text(), header: (name: string) => res.headers.get(name) };
}

/** Well-formed XML or the validator's message. */
export function xmlError(xml: string): string | null {
  const result = XMLValidator.validate(xml);
  return result === true ? null : `${result.err.code}: ${result.err.msg} (line ${result.err.line})`;
}

const uid = () => Math.random().toString(36).slice(2, 8);

/** Text an operator pasted from a spreadsheet: XML-forbidden characters and markup-like content. */
export const NASTY = 'Riga\u0001 con caratteri\uFFFE vietati ]]> & <b>grassetto</b> \u0008fine';

export type Story = Awaited<ReturnType<typeof makeStory>>;

/**
 * Our own story, in the caller's transaction: one service, one incident opened at 09:00, identified at
 * 10:00 (with a body full of characters XML forbids), resolved at 12:00; a milestone completed, a notice,
 * a maintenance on the service. The clock is frozen at NOW; every time is before it.
 */
export async function makeStory(ctx: Ctx) {
  const key = `svc-${uid()}`;
  const other = `oth-${uid()}`;
  await createService(ctx, { key, name: { it: 'Conservazione', en: 'Archiving' }, since: new Date('2026-03-01T00:00:00Z') });
  await createService(ctx, { key: other, name: { it: 'Altro servizio', en: 'Other service' }, since: new Date('2026-03-01T00:00:00Z') });
  const created = await createIncident(ctx, {
    title: { it: 'Ritardi & errori <conservazione>', en: 'Archiving delays & errors' },
    impact: 'minor',
    body: { it: 'Stiamo **verificando** i ritardi.', en: 'We are **investigating** the delays.' },
    services: [{ service: key, status: 'degraded_performance' }],
    startedAt: new Date('2026-03-19T09:00:00Z'),
  });
  const identified = await postIncidentUpdate(ctx, {
    incidentId: created.incident.id,
    status: 'identified',
    body: { it: NASTY, en: 'Cause identified.' },
    displayAt: new Date('2026-03-19T10:00:00Z'),
  });
  const milestone = await addMilestone(ctx, {
    incidentId: created.incident.id,
    title: { it: 'Coda smaltita', en: 'Queue drained' },
    service: key,
    expectedAt: new Date('2026-03-19T11:30:00Z'),
  });
  await changeMilestone(ctx, { milestoneId: milestone.id, state: 'done', actualAt: new Date('2026-03-19T11:00:00Z') });
  const resolved = await postIncidentUpdate(ctx, {
    incidentId: created.incident.id,
    status: 'resolved',
    body: { it: 'Il servizio è tornato **regolare**.', en: 'The service is back to **normal**.' },
    services: [{ service: key, status: 'operational' }],
    displayAt: new Date('2026-03-19T12:00:00Z'),
  });
  const notice = await publishNotice(ctx, {
    incidentId: created.incident.id,
    title: { it: 'Documenti conservati fino al 18 marzo', en: 'Documents archived up to 18 March' },
    action: { it: 'Non serve fare nulla.', en: 'No action needed.' },
    services: [key],
    windows: [{ scope: { it: 'Tutte le aree', en: 'All areas' }, restoredUntil: new Date('2026-03-18T21:30:00Z') }],
    publishedAt: new Date('2026-03-19T12:30:00Z'),
  });
  const maintenance = await scheduleMaintenance(ctx, {
    title: { it: 'Aggiornamento archivio', en: 'Archive upgrade' },
    services: [key],
    scheduledStart: new Date('2026-03-21T20:00:00Z'),
    scheduledEnd: new Date('2026-03-21T22:00:00Z'),
  });
  return {
    key,
    other,
    incidentId: created.incident.id,
    updates: { created: created.update.id, identified: identified.update.id, resolved: resolved.update.id },
    milestoneId: milestone.id,
    noticeId: notice.id,
    maintenanceId: maintenance.id,
  };
}
