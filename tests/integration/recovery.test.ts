import { eq } from 'drizzle-orm';
import { describe, expect } from 'vitest';
import { events, incidentFaq, milestones } from '../../db/schema/index.ts';
import { addFaqEntry, addMilestone, changeMilestone, slugify } from '../../src/services/recovery.ts';
import { getIncidentPage, getOpenIncidentFaq } from '../../src/services/read.ts';
import { postIncidentUpdate } from '../../src/services/incidents.ts';
import { HOUR, auditFor, clock, expectServiceError, makeCtx, makeIncident, makeService, uid } from './factories.ts';
import { dbTest as test } from '../support/db.ts';

// Opens the file's database under the hook timeout rather than the first test's (slow on a busy machine).
test.beforeAll(async ({ database }) => void database);

const T0 = new Date('2026-03-11T09:00:00Z');
const at = (h: number) => new Date(T0.getTime() + h * HOUR);
const t = (it: string, en?: string) => (en ? { it, en } : { it });

describe('milestones', () => {
  test('are appended in order unless a sortOrder is given; the plan lists them in that order', async ({ db }) => {
    const ctx = makeCtx(db, { now: at(0) });
    const { incident } = await makeIncident(ctx);
    const a = await addMilestone(ctx, { incidentId: incident.id, title: t('Nuove macchine'), expectedAt: at(24) });
    const b = await addMilestone(ctx, { incidentId: incident.id, title: t('Ripristino dai backup'), expectedAt: at(72) });
    const c = await addMilestone(ctx, { incidentId: incident.id, title: t('Riapertura generale'), expectedAt: at(96) });
    expect([a.sortOrder, b.sortOrder, c.sortOrder]).toEqual([0, 1, 2]);
    const first = await addMilestone(ctx, { incidentId: incident.id, title: t('Diagnosi'), sortOrder: -1 });

    // Another incident's milestones do not shift this one's numbering.
    const { incident: other } = await makeIncident(ctx);
    expect((await addMilestone(ctx, { incidentId: other.id, title: t('Altro') })).sortOrder).toBe(0);

    const page = await getIncidentPage(ctx, { id: incident.id, locale: 'it' });
    expect(page!.plan.milestones.map((m) => m.id)).toEqual([first.id, a.id, b.id, c.id]);
    expect(page!.plan.milestones.map((m) => m.title.text)).toEqual([
      'Diagnosi',
      'Nuove macchine',
      'Ripristino dai backup',
      'Riapertura generale',
    ]);
  });

  test('links to a service; an unknown service or incident is refused', async ({ db }) => {
    const ctx = makeCtx(db, { now: at(0) });
    const svc = await makeService(ctx, { since: at(-1) });
    const { incident } = await makeIncident(ctx);
    const m = await addMilestone(ctx, { incidentId: incident.id, title: t('Invio'), service: svc.key });
    expect(m.serviceId).toBe(svc.id);
    const page = await getIncidentPage(ctx, { id: incident.id, locale: 'it' });
    expect(page!.plan.milestones[0]!.service).toEqual({ key: svc.key, name: `Servizio ${svc.key}` });

    await expectServiceError(addMilestone(ctx, { incidentId: incident.id, title: t('x'), service: `zz-${uid()}` }), 'validation_failed');
    await expectServiceError(addMilestone(ctx, { incidentId: `nope${uid()}`, title: t('x') }), 'not_found');
  });

  test('delaying needs a new expected date and a reason, each named when missing', async ({ db }) => {
    const ctx = makeCtx(db, { now: at(0) });
    const { incident } = await makeIncident(ctx);
    const m = await addMilestone(ctx, { incidentId: incident.id, title: t('Storage'), expectedAt: at(24) });

    const neither = await expectServiceError(changeMilestone(ctx, { milestoneId: m.id, state: 'delayed' }), 'validation_failed');
    expect(Object.keys(neither.fields ?? {}).sort()).toEqual(['delayReason', 'expectedAt']);
    const noReason = await expectServiceError(
      changeMilestone(ctx, { milestoneId: m.id, state: 'delayed', expectedAt: at(48) }),
      'validation_failed',
    );
    expect(Object.keys(noReason.fields ?? {})).toEqual(['delayReason']);
    const noDate = await expectServiceError(
      changeMilestone(ctx, { milestoneId: m.id, state: 'delayed', delayReason: t('Il fornitore non ha acceso lo storage') }),
      'validation_failed',
    );
    expect(Object.keys(noDate.fields ?? {})).toEqual(['expectedAt']);
    // A new date already gone is not a delay: it would be late again the moment it is published.
    const gone = await expectServiceError(
      changeMilestone(ctx, { milestoneId: m.id, state: 'delayed', expectedAt: at(-1), delayReason: t('Il fornitore è in ritardo') }),
      'validation_failed',
    );
    expect(gone.fields).toEqual({ expectedAt: 'must be in the future' });
    const [unchanged] = await db.select().from(milestones).where(eq(milestones.id, m.id));
    expect(unchanged).toMatchObject({ state: 'planned', expectedAt: at(24), delayReason: null });

    const delayed = await changeMilestone(ctx, {
      milestoneId: m.id,
      state: 'delayed',
      expectedAt: at(96),
      delayReason: t('Il fornitore non ha acceso lo storage', 'The provider has not powered the storage on'),
    });
    expect(delayed).toMatchObject({ state: 'delayed', expectedAt: at(96) });
    expect(delayed.delayReason).toEqual(t('Il fornitore non ha acceso lo storage', 'The provider has not powered the storage on'));

    // Delayed again: a newer date and reason replace the old ones.
    const again = await changeMilestone(ctx, { milestoneId: m.id, state: 'delayed', expectedAt: at(120), delayReason: t('Ancora') });
    expect(again).toMatchObject({ state: 'delayed', expectedAt: at(120), delayReason: { it: 'Ancora' } });
  });

  test('a milestone cannot be created already delayed, since that needs a reason', async ({ db }) => {
    const ctx = makeCtx(db, { now: at(0) });
    const { incident } = await makeIncident(ctx);
    const error = await expectServiceError(
      addMilestone(ctx, { incidentId: incident.id, title: t('x'), state: 'delayed', expectedAt: at(5) }),
      'validation_failed',
    );
    expect(error.fields).toHaveProperty('state');
    expect(await db.select().from(milestones).where(eq(milestones.incidentId, incident.id))).toHaveLength(0);
  });

  test('done sets the actual date (now by default), and done is final', async ({ db }) => {
    const c = clock(at(0));
    const ctx = makeCtx(db, { now: c });
    const { incident } = await makeIncident(ctx);
    const m = await addMilestone(ctx, { incidentId: incident.id, title: t('Riapertura'), expectedAt: at(24) });
    c.set(at(5));
    const started = await changeMilestone(ctx, { milestoneId: m.id, state: 'in_progress' });
    expect(started).toMatchObject({ state: 'in_progress', actualAt: null });
    c.set(at(20));
    const done = await changeMilestone(ctx, { milestoneId: m.id, state: 'done' });
    expect(done).toMatchObject({ state: 'done', actualAt: at(20), expectedAt: at(24) });

    for (const state of ['in_progress', 'delayed', 'cancelled', 'done'] as const) {
      const error = await expectServiceError(
        changeMilestone(ctx, { milestoneId: m.id, state, expectedAt: at(99), delayReason: t('x') }),
        'validation_failed',
      );
      expect(error.fields).toHaveProperty('state');
    }
    const [row] = await db.select().from(milestones).where(eq(milestones.id, m.id));
    expect(row).toMatchObject({ state: 'done', actualAt: at(20), expectedAt: at(24) });

    // An explicit actual date is kept; a milestone created done gets one too.
    const m2 = await addMilestone(ctx, { incidentId: incident.id, title: t('Backup') });
    expect((await changeMilestone(ctx, { milestoneId: m2.id, state: 'done', actualAt: at(3) })).actualAt).toEqual(at(3));
    expect((await addMilestone(ctx, { incidentId: incident.id, title: t('Già fatto'), state: 'done' })).actualAt).toEqual(at(20));
  });

  test('a done milestone cannot be dated ahead of now; notify: false publishes the change without e-mailing anyone', async ({ db }) => {
    const ctx = makeCtx(db, { now: clock(at(10)) });
    const { incident } = await makeIncident(ctx);
    const m = await addMilestone(ctx, { incidentId: incident.id, title: t('Riapertura'), notify: false });
    const future = await expectServiceError(changeMilestone(ctx, { milestoneId: m.id, state: 'done', actualAt: at(11) }), 'validation_failed');
    expect(future.fields).toEqual({ actualAt: 'cannot be in the future' });
    await expectServiceError(addMilestone(ctx, { incidentId: incident.id, title: t('Domani'), state: 'done', actualAt: at(12) }), 'validation_failed');
    await changeMilestone(ctx, { milestoneId: m.id, state: 'done', actualAt: at(9), notify: false });
    await changeMilestone(ctx, { milestoneId: (await addMilestone(ctx, { incidentId: incident.id, title: t('Annunciata') })).id, state: 'in_progress' });
    const published = await db.select({ subjectId: events.subjectId, notify: events.notify, data: events.data }).from(events).where(eq(events.type, 'milestone.updated')).orderBy(events.seq);
    expect(published.map((e) => [e.subjectId === m.id, e.notify, (e.data as { state: string }).state])).toEqual([
      [true, false, 'planned'],
      [true, false, 'done'],
      [false, true, 'planned'],
      [false, true, 'in_progress'],
    ]);
  });

  test('planned cannot go back from in_progress; an unknown milestone is not_found', async ({ db }) => {
    const ctx = makeCtx(db, { now: at(0) });
    const { incident } = await makeIncident(ctx);
    const m = await addMilestone(ctx, { incidentId: incident.id, title: t('x') });
    await changeMilestone(ctx, { milestoneId: m.id, state: 'in_progress' });
    await expectServiceError(changeMilestone(ctx, { milestoneId: m.id, state: 'planned' }), 'validation_failed');
    await expectServiceError(changeMilestone(ctx, { milestoneId: `nope${uid()}`, state: 'done' }), 'not_found');
  });

  test('every change is audited with before and after', async ({ db }) => {
    const c = clock(at(0));
    const ctx = makeCtx(db, { now: c, actor: { kind: 'operator', id: 'luca', role: 'editor' } });
    const { incident } = await makeIncident(ctx);
    const m = await addMilestone(ctx, { incidentId: incident.id, title: t('x'), expectedAt: at(2) });
    c.set(at(1));
    await changeMilestone(ctx, { milestoneId: m.id, state: 'delayed', expectedAt: at(5), delayReason: t('r') });
    const audit = await auditFor(db, 'milestone', m.id);
    expect(audit.map((a) => a.action)).toEqual(['milestone.create', 'milestone.delayed']);
    expect(audit[1]).toMatchObject({
      actor: 'operator:luca',
      at: at(1),
      before: { state: 'planned', expectedAt: at(2).toISOString() },
      after: { state: 'delayed', expectedAt: at(5).toISOString() },
    });
  });

  test('the read view counts progress without cancelled milestones and flags late ones by the injected clock', async ({ db }) => {
    const c = clock(at(0));
    const ctx = makeCtx(db, { now: c });
    const { incident } = await makeIncident(ctx);
    const done = await addMilestone(ctx, { incidentId: incident.id, title: t('Fatto'), expectedAt: at(1) });
    const overdue = await addMilestone(ctx, { incidentId: incident.id, title: t('In ritardo'), expectedAt: at(10) });
    const future = await addMilestone(ctx, { incidentId: incident.id, title: t('Futuro'), expectedAt: at(100) });
    const cancelled = await addMilestone(ctx, { incidentId: incident.id, title: t('Annullato'), expectedAt: at(2) });
    const undated = await addMilestone(ctx, { incidentId: incident.id, title: t('Senza data') });
    c.set(at(3));
    await changeMilestone(ctx, { milestoneId: done.id, state: 'done', actualAt: at(3) });
    await changeMilestone(ctx, { milestoneId: cancelled.id, state: 'cancelled' });

    const view = async () => (await getIncidentPage(ctx, { id: incident.id, locale: 'en' }))!.plan;
    const lateById = async () => Object.fromEntries((await view()).milestones.map((m) => [m.id, m.late]));

    c.set(at(5));
    expect(await view()).toMatchObject({ done: 1, total: 4, ratio: 0.25 });
    expect(await lateById()).toEqual({
      [done.id]: false,
      [overdue.id]: false,
      [future.id]: false,
      [cancelled.id]: false,
      [undated.id]: false,
    });

    c.set(at(11));
    expect(await lateById()).toEqual({
      [done.id]: false, // done after its date: not late any more
      [overdue.id]: true,
      [future.id]: false,
      [cancelled.id]: false, // cancelled before its date passed: out of the plan
      [undated.id]: false,
    });

    // Delaying to a later date clears the flag until that date passes.
    await changeMilestone(ctx, { milestoneId: overdue.id, state: 'delayed', expectedAt: at(30), delayReason: t('r', 'reason') });
    const delayed = (await view()).milestones.find((m) => m.id === overdue.id)!;
    expect(delayed).toMatchObject({ state: 'delayed', late: false, delayReason: { text: 'reason', locale: 'en' } });
    c.set(at(31));
    expect((await lateById())[overdue.id]).toBe(true);
  });

  test('an empty plan has no ratio', async ({ db }) => {
    const ctx = makeCtx(db, { now: at(0) });
    const { incident } = await makeIncident(ctx);
    expect((await getIncidentPage(ctx, { id: incident.id, locale: 'it' }))!.plan).toEqual({
      milestones: [],
      done: 0,
      total: 0,
      ratio: null,
    });
  });
});

describe('FAQ', () => {
  test('slugs come from the Italian question, are unique per incident, and stay the same', async ({ db }) => {
    const ctx = makeCtx(db, { now: at(0) });
    const { incident } = await makeIncident(ctx);
    const question = t('La mia area è vuota: cosa devo fare?', 'My area is empty: what do I do?');
    const a = await addFaqEntry(ctx, { incidentId: incident.id, question, answer: t('È il piano di riserva.') });
    expect(a.slug).toBe('la-mia-area-e-vuota-cosa-devo-fare');
    const b = await addFaqEntry(ctx, { incidentId: incident.id, question, answer: t('Ripetuta.') });
    expect(b.slug).toBe('la-mia-area-e-vuota-cosa-devo-fare-2');
    const c = await addFaqEntry(ctx, { incidentId: incident.id, question, answer: t('Ancora.') });
    expect(c.slug).toBe('la-mia-area-e-vuota-cosa-devo-fare-3');

    // Another incident may use the same slug.
    const { incident: other } = await makeIncident(ctx);
    expect((await addFaqEntry(ctx, { incidentId: other.id, question, answer: t('x') })).slug).toBe(a.slug);

    // An explicit slug is used as given, and de-duplicated against existing ones.
    const d = await addFaqEntry(ctx, { incidentId: incident.id, slug: 'storico', question: t('Quando torna lo storico?'), answer: t('Dal 22.') });
    expect(d.slug).toBe('storico');
    const e = await addFaqEntry(ctx, { incidentId: incident.id, slug: 'storico', question: t('Altro?'), answer: t('x') });
    expect(e.slug).not.toBe('storico');

    // Slugs are stored: reading the page in another language, later, gives the same anchors.
    const en = await getIncidentPage(ctx, { id: incident.id, locale: 'en' });
    const it = await getIncidentPage(ctx, { id: incident.id, locale: 'it' });
    expect(en!.faq.map((f) => f.slug)).toEqual(it!.faq.map((f) => f.slug));
    expect(new Set(en!.faq.map((f) => f.slug)).size).toBe(5);
    const rows = await db.select().from(incidentFaq).where(eq(incidentFaq.incidentId, incident.id));
    expect(rows.map((r) => r.slug).sort()).toEqual(en!.faq.map((f) => f.slug).sort());
  });

  test('slugify strips accents and punctuation and never returns an empty slug', () => {
    expect(slugify('Perché non vedo le fatture del giorno 9?')).toBe('perche-non-vedo-le-fatture-del-giorno-9');
    expect(slugify('???')).toBe('domanda');
    expect(slugify('a'.repeat(100)).length).toBeLessThanOrEqual(60);
    expect(slugify(`${'parola '.repeat(12)}`)).not.toMatch(/-$/);
  });

  test('a bad slug names the field; an unknown incident is not_found', async ({ db }) => {
    const ctx = makeCtx(db, { now: at(0) });
    const { incident } = await makeIncident(ctx);
    const error = await expectServiceError(
      addFaqEntry(ctx, { incidentId: incident.id, slug: 'Con Spazi', question: t('q'), answer: t('a') }),
      'validation_failed',
    );
    expect(Object.keys(error.fields ?? {})).toEqual(['slug']);
    await expectServiceError(addFaqEntry(ctx, { incidentId: `nope${uid()}`, question: t('q'), answer: t('a') }), 'not_found');
  });

  test('entries are listed by sortOrder on the incident page and on the open-incident FAQ', async ({ db }) => {
    const c = clock(at(0));
    const ctx = makeCtx(db, { now: c });
    const { incident } = await makeIncident(ctx);
    const q1 = await addFaqEntry(ctx, { incidentId: incident.id, question: t('Prima'), answer: t('1') });
    const q2 = await addFaqEntry(ctx, { incidentId: incident.id, question: t('Seconda'), answer: t('2') });
    const q0 = await addFaqEntry(ctx, { incidentId: incident.id, question: t('In cima'), answer: t('0'), sortOrder: -5 });
    expect([q1.sortOrder, q2.sortOrder]).toEqual([0, 1]);
    const q3 = await addFaqEntry(ctx, { incidentId: incident.id, question: t('Ultima', 'Last'), answer: t('3', 'three') });
    expect(q3.sortOrder).toBe(2);

    const page = await getIncidentPage(ctx, { id: incident.id, locale: 'en' });
    expect(page!.faq.map((f) => f.id)).toEqual([q0.id, q1.id, q2.id, q3.id]);
    expect(page!.faq[3]).toMatchObject({ question: { text: 'Last', locale: 'en' }, answer: { text: 'three', locale: 'en' } });
    expect(page!.faq[1]).toMatchObject({ question: { text: 'Prima', locale: 'it' } });

    const open = await getOpenIncidentFaq(ctx, { locale: 'it' });
    const group = open.find((g) => g.incident.id === incident.id);
    expect(group!.faq.map((f) => f.id)).toEqual([q0.id, q1.id, q2.id, q3.id]);

    // Once resolved, the incident leaves the open-incident FAQ.
    c.set(at(1));
    await postIncidentUpdate(ctx, { incidentId: incident.id, status: 'resolved', body: t('Risolto') });
    expect((await getOpenIncidentFaq(ctx, { locale: 'it' })).find((g) => g.incident.id === incident.id)).toBeUndefined();
  });

  test('each entry is audited', async ({ db }) => {
    const ctx = makeCtx(db, { now: at(0) });
    const { incident } = await makeIncident(ctx);
    const f = await addFaqEntry(ctx, { incidentId: incident.id, question: t('q'), answer: t('a') });
    const audit = await auditFor(db, 'incident_faq', f.id);
    expect(audit).toMatchObject([{ action: 'faq.create', actor: 'operator:test-operator', after: { slug: 'q' } }]);
  });
});
