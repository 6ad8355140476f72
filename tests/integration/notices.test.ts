import { eq } from 'drizzle-orm';
import { describe, expect } from 'vitest';
import { dataGapNoticeServices, dataGapNotices, dataGapWindows, events } from '../../db/schema/index.ts';
import { closeNotice, publishNotice, updateNotice } from '../../src/services/notices.ts';
import { getHomePage, getIncidentPage } from '../../src/services/read.ts';
import { HOUR, auditFor, clock, expectServiceError, makeCtx, makeIncident, makeService, uid, uniqueKey } from './factories.ts';
import { dbTest as test } from '../support/db.ts';

// Opens the file's database under the hook timeout rather than the first test's (slow on a busy machine).
test.beforeAll(async ({ database }) => void database);

// Day 19, 10:00 in Rome.
const NOW = new Date('2026-03-19T09:00:00Z');
const at = (h: number) => new Date(NOW.getTime() + h * HOUR);
const day8 = new Date('2026-03-08T20:30:00Z');
const day9 = new Date('2026-03-09T20:30:00Z');

function noticeInput(overrides: Record<string, unknown> = {}) {
  return {
    title: { it: 'Dati ripristinati fino al giorno 9', en: 'Data restored up to day 9' },
    audience: { it: 'Clienti con area ripristinata' },
    action: { it: 'Ricaricare le fatture inviate dopo le 21:30 del giorno 9.', en: 'Re-upload invoices sent after 21:30 on day 9.' },
    windows: [
      { scope: { it: 'La maggior parte delle aree', en: 'Most areas' }, restoredUntil: day9 },
      { scope: { it: 'Alcune aree', en: 'Some areas' }, restoredUntil: day8, gapEndsAt: day9 },
    ],
    ...overrides,
  };
}

describe('data-gap notices', () => {
  test('store windows in order and the services concerned; the home page shows them', async ({ db }) => {
    const ctx = makeCtx(db, { now: NOW });
    const web = await makeService(ctx, { since: at(-500) });
    const receiving = await makeService(ctx, { since: at(-500) });
    const { incident } = await makeIncident(ctx, { startedAt: at(-200) });
    const notice = await publishNotice(ctx, noticeInput({ incidentId: incident.id, services: [web.key, receiving.key], publishedAt: at(-1) }));
    expect(notice).toMatchObject({ incidentId: incident.id, publishedAt: at(-1), closedAt: null });

    const windows = await db.select().from(dataGapWindows).where(eq(dataGapWindows.noticeId, notice.id));
    expect(windows.sort((a, b) => a.sortOrder - b.sortOrder).map((w) => [w.sortOrder, w.restoredUntil, w.gapEndsAt])).toEqual([
      [0, day9, null],
      [1, day8, day9],
    ]);
    const links = await db.select().from(dataGapNoticeServices).where(eq(dataGapNoticeServices.noticeId, notice.id));
    expect(links.map((l) => l.serviceId).sort()).toEqual([web.id, receiving.id].sort());

    const home = await getHomePage(ctx, { locale: 'en' });
    const view = home.notices.find((n) => n.id === notice.id)!;
    expect(view).toMatchObject({
      incidentId: incident.id,
      title: { text: 'Data restored up to day 9', locale: 'en' },
      audience: { text: 'Clienti con area ripristinata', locale: 'it' },
      action: { locale: 'en' },
      body: null,
      closedAt: null,
    });
    expect(view.windows).toEqual([
      { scope: { text: 'Most areas', locale: 'en' }, restoredUntil: day9, gapEndsAt: null, pending: false },
      { scope: { text: 'Some areas', locale: 'en' }, restoredUntil: day8, gapEndsAt: day9, pending: false },
    ]);
    expect(view.services.map((s) => s.key).sort()).toEqual([web.key, receiving.key].sort());

    // And so does the incident page.
    const page = await getIncidentPage(ctx, { id: incident.id, locale: 'it' });
    expect(page!.notices.map((n) => n.id)).toEqual([notice.id]);
  });

  test('closing hides the notice from the home page but keeps it on the incident page', async ({ db }) => {
    const c = clock(NOW);
    const ctx = makeCtx(db, { now: c });
    const { incident } = await makeIncident(ctx, { startedAt: at(-200) });
    const open = await publishNotice(ctx, noticeInput({ incidentId: incident.id }));
    const closing = await publishNotice(ctx, noticeInput({ incidentId: incident.id }));

    c.set(at(2));
    const closed = await closeNotice(ctx, { noticeId: closing.id });
    expect(closed.closedAt).toEqual(at(2));

    const home = await getHomePage(ctx, { locale: 'it' });
    const ids = home.notices.map((n) => n.id);
    expect(ids).toContain(open.id);
    expect(ids).not.toContain(closing.id);

    const page = await getIncidentPage(ctx, { id: incident.id, locale: 'it' });
    const onPage = page!.notices.find((n) => n.id === closing.id);
    expect(onPage?.closedAt).toEqual(at(2));

    const audit = await auditFor(db, 'data_gap_notice', closing.id);
    expect(audit.map((a) => a.action)).toEqual(['notice.publish', 'notice.close']);
  });

  test('a restore still expected is published as pending, and is done once the notice is edited', async ({ db }) => {
    const ctx = makeCtx(db, { now: NOW });
    const { incident } = await makeIncident(ctx, { startedAt: at(-200) });
    const notice = await publishNotice(
      ctx,
      noticeInput({
        incidentId: incident.id,
        windows: [
          { scope: { it: 'La maggior parte delle aree' }, restoredUntil: day9 },
          { scope: { it: 'Aree vuote, dopo il ripristino dallo storage' }, restoredUntil: day9, pending: true },
        ],
      }),
    );
    const pendingOf = async () => (await getIncidentPage(ctx, { id: incident.id, locale: 'it' }))!.notices[0]!.windows.map((w) => w.pending);
    expect(await pendingOf()).toEqual([false, true]);
    // Feeds, e-mails and webhooks read the event: it says which restore is still expected.
    const [event] = await db.select().from(events).where(eq(events.subjectId, notice.id));
    expect((event!.data as { windows: { pending: boolean }[] }).windows.map((w) => w.pending)).toEqual([false, true]);

    // An edit that completes no restore is not news.
    await updateNotice(ctx, { noticeId: notice.id, title: { it: 'Dati: cosa manca' } });
    const announced = () => db.select().from(events).where(eq(events.subjectId, notice.id)).orderBy(events.seq);
    expect(await announced()).toHaveLength(1);

    // The restore is done: the operator edits the window, and the notice is published again as restored.
    await updateNotice(ctx, { noticeId: notice.id, windows: [{ scope: { it: 'Aree vuote' }, restoredUntil: day9, pending: false }], notify: false });
    expect(await pendingOf()).toEqual([false]);
    const [, restored] = await announced();
    expect(restored).toMatchObject({ type: 'notice.published', notify: false, occurredAt: NOW, title: { it: 'Dati: cosa manca' } });
    expect(restored!.data).toMatchObject({ restored: true, windows: [{ pending: false }] });
    // Saving it again announces nothing more.
    await updateNotice(ctx, { noticeId: notice.id, windows: [{ scope: { it: 'Aree vuote' }, restoredUntil: day9, pending: false }] });
    expect(await announced()).toHaveLength(2);
  });

  test('a notice needs at least one window, and a window cannot end before it starts', async ({ db }) => {
    const ctx = makeCtx(db, { now: NOW });
    const marker = `Avviso ${uid()}`;
    const none = await expectServiceError(publishNotice(ctx, noticeInput({ title: { it: marker }, windows: [] })), 'validation_failed');
    expect(Object.keys(none.fields ?? {})).toEqual(['windows']);
    const backwards = await expectServiceError(
      publishNotice(ctx, noticeInput({ title: { it: marker }, windows: [{ scope: { it: 's' }, restoredUntil: day9, gapEndsAt: day8 }] })),
      'validation_failed',
    );
    expect(Object.keys(backwards.fields ?? {})).toEqual(['windows.0.gapEndsAt']);
    const rows = await db.select().from(dataGapNotices);
    expect(rows.filter((r) => r.title.it === marker)).toHaveLength(0);
  });

  test('an unknown service rolls the notice back', async ({ db }) => {
    const ctx = makeCtx(db, { now: NOW });
    const marker = `Avviso ${uid()}`;
    const missing = uniqueKey('missing');
    const error = await expectServiceError(
      publishNotice(ctx, noticeInput({ title: { it: marker }, services: [missing] })),
      'validation_failed',
    );
    expect(error.message).toContain(missing);
    const rows = await db.select().from(dataGapNotices);
    expect(rows.filter((r) => r.title.it === marker)).toHaveLength(0);
  });

  test('an unknown incident is a service error, not a database error, and writes nothing', async ({ db }) => {
    const ctx = makeCtx(db, { now: NOW });
    const marker = `Avviso ${uid()}`;
    await expectServiceError(
      publishNotice(ctx, noticeInput({ title: { it: marker }, incidentId: `nope${uid()}` })),
      'not_found',
    );
    const rows = await db.select().from(dataGapNotices);
    expect(rows.filter((r) => r.title.it === marker)).toHaveLength(0);
  });

  test('closing an unknown notice is not_found', async ({ db }) => {
    const ctx = makeCtx(db, { now: NOW });
    await expectServiceError(closeNotice(ctx, { noticeId: `nope${uid()}` }), 'not_found');
  });

  test('the publication is audited with its windows', async ({ db }) => {
    const ctx = makeCtx(db, { now: NOW, actor: { kind: 'operator', id: 'anna', role: 'editor' } });
    const notice = await publishNotice(ctx, noticeInput());
    const [row] = await auditFor(db, 'data_gap_notice', notice.id);
    expect(row).toMatchObject({ action: 'notice.publish', actor: 'operator:anna', at: NOW });
    expect((row!.after as { windows: unknown[] }).windows).toHaveLength(2);
  });
});
