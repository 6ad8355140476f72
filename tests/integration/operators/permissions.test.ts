/**
 * Every service function, with the weakest actor that may call it (allowed) and every actor below (refused with
 * `forbidden` before anything is read or written).
 */
import { describe, expect } from 'vitest';
import type { Actor } from '../../../src/services/context.ts';
import { listAudit } from '../../../src/services/audit.ts';
import {
  createApiToken,
  createOperator,
  listApiTokens,
  listOperators,
  revokeApiToken,
  setPassword,
  updateOperator,
} from '../../../src/services/auth.ts';
import { createService, getServiceForEdit, listServices, recordBacklogSample, setServiceStatus, updateService } from '../../../src/services/catalog.ts';
import { getDashboard } from '../../../src/services/dashboard.ts';
import { expireHeartbeats, recordHeartbeat } from '../../../src/services/heartbeats.ts';
import { withIdempotency } from '../../../src/services/idempotency.ts';
import {
  createIncident,
  getIncidentForEdit,
  listIncidents,
  postIncidentUpdate,
  publishPostmortem,
  resolveIncident,
  updateIncident,
} from '../../../src/services/incidents.ts';
import {
  completeMaintenance,
  getMaintenanceForEdit,
  listMaintenances,
  runScheduledTransitions,
  scheduleMaintenance,
  startMaintenance,
  updateMaintenance,
  verifyMaintenance,
} from '../../../src/services/maintenance.ts';
import { closeNotice, getNoticeForEdit, listNotices, publishNotice, updateNotice } from '../../../src/services/notices.ts';
import {
  addFaqEntry,
  addMilestone,
  changeMilestone,
  deleteFaqEntry,
  reorderFaq,
  reorderMilestones,
  updateFaqEntry,
  updateMilestone,
} from '../../../src/services/recovery.ts';
import { dbTest as test } from '../../support/db.ts';
import {
  ADMIN,
  ADMIN_TOKEN,
  type C,
  EDITOR,
  PASSWORD,
  PUBLIC,
  READ_TOKEN,
  ROLELESS,
  SYSTEM_ACTOR,
  VIEWER,
  WRITE_TOKEN,
  as,
  ctxFor,
  email,
  expectServiceError,
  uniqueKey,
} from './helpers.ts';

const T = new Date('2026-03-19T09:00:00Z');
const later = (h: number) => new Date(T.getTime() + h * 3_600_000);
const txt = (it: string) => ({ it, en: `EN ${it}` });

async function fixture(sys: C) {
  const service = await createService(sys, { key: uniqueKey(), name: txt('Servizio'), since: later(-48) });
  const { incident } = await createIncident(sys, {
    title: txt('Incidente'),
    impact: 'major',
    body: txt('Verifica in corso.'),
    services: [{ service: service.key, status: 'major_outage' }],
    startedAt: later(-1),
  });
  const milestone = await addMilestone(sys, { incidentId: incident.id, title: txt('Ripristino') });
  const faq = await addFaqEntry(sys, { incidentId: incident.id, question: txt('Domanda?'), answer: txt('Risposta.') });
  const notice = await publishNotice(sys, {
    incidentId: incident.id,
    title: txt('Dati'),
    windows: [{ scope: txt('Aree'), restoredUntil: later(-30) }],
  });
  const maintenance = await scheduleMaintenance(sys, {
    title: txt('Manutenzione'),
    services: [service.key],
    scheduledStart: later(24),
    scheduledEnd: later(26),
  });
  const operator = await createOperator(sys, { email: email(), name: 'Op', role: 'editor', password: PASSWORD });
  const { token } = await createApiToken(sys, { name: 'bot', scopes: ['read'] });
  return { sys, service, incident, milestone, faq, notice, maintenance, operator, token };
}
type Fx = Awaited<ReturnType<typeof fixture>>;

type Row = [name: string, call: (ctx: C, fx: Fx) => Promise<unknown>];

const WRITES: Row[] = [
  ['createService', (c) => createService(c, { key: uniqueKey(), name: txt('Nuovo') })],
  ['updateService', (c, f) => updateService(c, { service: f.service.key, sortOrder: 3 })],
  ['setServiceStatus', (c, f) => setServiceStatus(c, { service: f.service.key, status: 'degraded_performance' })],
  ['recordBacklogSample', (c, f) => recordBacklogSample(c, { service: f.service.key, metric: 'queue', label: txt('Coda'), count: 3 })],
  ['recordHeartbeat', (c, f) => recordHeartbeat(c, { service: f.service.key })],
  ['expireHeartbeats', (c) => expireHeartbeats(c)],
  ['createIncident', (c) => createIncident(c, { title: txt('Altro'), impact: 'minor', body: txt('x') })],
  ['postIncidentUpdate', (c, f) => postIncidentUpdate(c, { incidentId: f.incident.id, status: 'identified', body: txt('Causa trovata.') })],
  ['updateIncident', (c, f) => updateIncident(c, { incidentId: f.incident.id, expectedVersion: f.incident.version, impact: 'critical' })],
  ['resolveIncident', (c, f) => resolveIncident(c, { incidentId: f.incident.id, body: txt('Risolto.') })],
  [
    'publishPostmortem',
    async (c, f) => {
      // The refusals share one fixture: resolve it once.
      await resolveIncident(f.sys, { incidentId: f.incident.id, body: txt('Risolto.') }).catch(() => undefined);
      return publishPostmortem(c, { incidentId: f.incident.id, body: txt('Analisi.') });
    },
  ],
  ['addMilestone', (c, f) => addMilestone(c, { incidentId: f.incident.id, title: txt('Altro passo') })],
  ['changeMilestone', (c, f) => changeMilestone(c, { milestoneId: f.milestone.id, state: 'in_progress' })],
  ['updateMilestone', (c, f) => updateMilestone(c, { milestoneId: f.milestone.id, title: txt('Ripristino dati') })],
  ['reorderMilestones', (c, f) => reorderMilestones(c, { incidentId: f.incident.id, orderedIds: [f.milestone.id] })],
  ['addFaqEntry', (c, f) => addFaqEntry(c, { incidentId: f.incident.id, question: txt('Altra?'), answer: txt('Sì.') })],
  ['updateFaqEntry', (c, f) => updateFaqEntry(c, { faqId: f.faq.id, answer: txt('Risposta nuova.') })],
  ['deleteFaqEntry', (c, f) => deleteFaqEntry(c, { faqId: f.faq.id })],
  ['reorderFaq', (c, f) => reorderFaq(c, { incidentId: f.incident.id, orderedIds: [f.faq.id] })],
  ['publishNotice', (c) => publishNotice(c, { title: txt('Altro'), windows: [{ scope: txt('Tutti'), restoredUntil: later(-5) }] })],
  ['updateNotice', (c, f) => updateNotice(c, { noticeId: f.notice.id, action: txt('Ricaricate.') })],
  ['closeNotice', (c, f) => closeNotice(c, { noticeId: f.notice.id })],
  ['scheduleMaintenance', (c, f) => scheduleMaintenance(c, { title: txt('M'), services: [f.service.key], scheduledStart: later(48), scheduledEnd: later(49) })],
  ['startMaintenance', (c, f) => startMaintenance(c, { maintenanceId: f.maintenance.id })],
  [
    'verifyMaintenance',
    async (c, f) => {
      await startMaintenance(f.sys, { maintenanceId: f.maintenance.id });
      return verifyMaintenance(c, { maintenanceId: f.maintenance.id });
    },
  ],
  ['completeMaintenance', (c, f) => completeMaintenance(c, { maintenanceId: f.maintenance.id })],
  ['updateMaintenance', (c, f) => updateMaintenance(c, { maintenanceId: f.maintenance.id, scheduledEnd: later(27) })],
  ['runScheduledTransitions', (c) => runScheduledTransitions(c)],
];

const READS: Row[] = [
  ['listServices', (c) => listServices(c)],
  ['getServiceForEdit', (c, f) => getServiceForEdit(c, { service: f.service.key })],
  ['listIncidents', (c) => listIncidents(c, {})],
  ['getIncidentForEdit', (c, f) => getIncidentForEdit(c, { incidentId: f.incident.id })],
  ['listNotices', (c) => listNotices(c, {})],
  ['getNoticeForEdit', (c, f) => getNoticeForEdit(c, { noticeId: f.notice.id })],
  ['listMaintenances', (c) => listMaintenances(c, {})],
  ['getMaintenanceForEdit', (c, f) => getMaintenanceForEdit(c, { maintenanceId: f.maintenance.id })],
  ['listAudit', (c) => listAudit(c, {})],
  ['getDashboard', (c) => getDashboard(c)],
  ['withIdempotency', (c) => withIdempotency(c, { key: 'k-1', requestHash: 'h' }, async () => ({ status: 200, body: { ok: true } }))],
];

const ADMINS: Row[] = [
  ['createOperator', (c) => createOperator(c, { email: email(), name: 'Nuovo', role: 'viewer', password: PASSWORD })],
  ['listOperators', (c) => listOperators(c)],
  ['updateOperator', (c, f) => updateOperator(c, { operatorId: f.operator.id, role: 'viewer' })],
  ['setPassword', (c, f) => setPassword(c, { email: f.operator.email, password: 'another long password' })],
  ['createApiToken', (c) => createApiToken(c, { name: 'ci', scopes: ['write'] })],
  ['revokeApiToken', (c, f) => revokeApiToken(c, { tokenId: f.token.id })],
  ['listApiTokens', (c) => listApiTokens(c)],
];

const LEVELS: { name: string; rows: Row[]; allowed: Actor[]; refused: Actor[] }[] = [
  // The system actor (demo loader, scheduler, CLI) may do everything.
  { name: 'write', rows: WRITES, allowed: [EDITOR, WRITE_TOKEN, ADMIN, SYSTEM_ACTOR], refused: [VIEWER, READ_TOKEN, PUBLIC, ROLELESS] },
  { name: 'read', rows: READS, allowed: [VIEWER, READ_TOKEN, SYSTEM_ACTOR], refused: [PUBLIC, ROLELESS] },
  { name: 'admin', rows: ADMINS, allowed: [ADMIN_TOKEN, ADMIN, SYSTEM_ACTOR], refused: [EDITOR, WRITE_TOKEN, VIEWER, READ_TOKEN, PUBLIC] },
];

const label = (a: Actor) => `${a.kind}${a.role ? `:${a.role}` : ''}${a.scopes ? `:${a.scopes.join('+')}` : ''}${a.kind === 'operator' && !a.role ? ':no-role' : ''}`;

for (const level of LEVELS) {
  describe(`"${level.name}" functions`, { timeout: 120_000 }, () => {
    test.for(level.rows)('%s: allowed and refused by role and scope', async ([, call], { db }) => {
      const sys = ctxFor(db, { actor: SYSTEM_ACTOR, now: T });
      // Authorization comes first, so one fixture serves every refusal: nothing is read or written.
      const shared = await fixture(sys);
      for (const actor of level.refused) {
        const fx = shared;
        const error = await expectServiceError(call(as(sys, actor), fx), 'forbidden');
        expect(error.message, label(actor)).toContain(`"${level.name}"`);
      }
      for (const actor of level.allowed) {
        const fx = await fixture(sys);
        // Admin functions record who created a token: a real operator is needed for the operator actor.
        const real = actor.kind === 'operator' && actor.role === 'admin' ? { ...actor, id: fx.operator.id } : actor;
        await expect(call(as(sys, real), fx), label(actor)).resolves.toBeDefined();
      }
    });
  });
}
