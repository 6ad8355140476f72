/**
 * The operators' side of subscriptions, on a real database: search and counts, the CSV import's preview with
 * a reason per refused row, the apply step (confirmation e-mails queued through the delivery engine, or consent
 * attested and recorded), the export (RFC 4180, formula injection neutralised) and its round trip through the
 * import, suppress/erase, and who may do what.
 */
import { eq } from 'drizzle-orm';
import { parse } from 'csv-parse/sync';
import { describe, expect } from 'vitest';
import { emailMessages, outbox, subscribers } from '../../db/schema/index.ts';
import type { Db } from '../../db/client.ts';
import type { Actor, Ctx } from '../../src/services/context.ts';
import {
  applyImport,
  exportSubscribersCsv,
  getSubscriber,
  listSubscribers,
  previewImport,
  removeSubscriber,
  subscriberCounts,
  suppressSubscriber,
  textPartOf,
} from '../../src/services/subscriber-admin.ts';
import { renderEml } from '../../src/delivery/eml.ts';
import { restoreCell } from '../../src/domain/subscriber-csv.ts';
import { dbTest as test } from '../support/db.ts';
import { auditFor, expectServiceError, makeCtx, makeService, uid } from '../integration/factories.ts';

const ADMIN: Actor = { kind: 'operator', id: 'op-admin', role: 'admin' };
const EDITOR: Actor = { kind: 'operator', id: 'op-editor', role: 'editor' };
const VIEWER: Actor = { kind: 'operator', id: 'op-viewer', role: 'viewer' };

const as = (ctx: Ctx, actor: Actor): Ctx => ({ ...ctx, actor });

async function addSubscriber(db: Db, row: Partial<typeof subscribers.$inferInsert> & { email: string }) {
  const [s] = await db.insert(subscribers).values({ state: 'confirmed', ...row }).returning();
  return s!;
}

async function readAll(chunks: AsyncIterable<string>): Promise<string> {
  let out = '';
  for await (const c of chunks) out += c;
  return out;
}

/** Two services with fresh keys, and a domain no other test uses (the list is shared within a test's transaction only). */
async function setup(db: Db) {
  const ctx = makeCtx(db, { actor: ADMIN, now: '2026-11-20T10:00:00Z' });
  const a = await makeService(ctx);
  const b = await makeService(ctx);
  return { ctx, a: a.key, b: b.key, domain: `${uid()}.example` };
}

describe('search and counts', () => {
  test('finds by address fragment, state, language and followed service, a page at a time', async ({ db }) => {
    const { ctx, a, b, domain } = await setup(db);
    await addSubscriber(db, { email: `anna@${domain}`, locale: 'it', allServices: true });
    await addSubscriber(db, { email: `bruno@${domain}`, locale: 'en', allServices: false, serviceKeys: [a] });
    await addSubscriber(db, { email: `carla@${domain}`, locale: 'en', allServices: false, serviceKeys: [b], state: 'pending' });
    await addSubscriber(db, { email: `dario_x@${domain}`, state: 'unsubscribed' });

    const emails = async (filter: Parameters<typeof listSubscribers>[1]) =>
      (await listSubscribers(as(ctx, EDITOR), { q: domain, ...filter })).items.map((s) => s.email.split('@')[0]).sort();
    expect(await emails({})).toEqual(['anna', 'bruno', 'carla', 'dario_x']);
    expect(await emails({ q: `RUNO@${domain}` })).toEqual(['bruno']);
    // `_` is a literal underscore, not a LIKE wildcard.
    expect(await emails({ q: `o_x@${domain}` })).toEqual(['dario_x']);
    expect(await emails({ q: `a_n` })).toEqual([]);
    expect(await emails({ state: 'pending' })).toEqual(['carla']);
    expect(await emails({ locale: 'en' })).toEqual(['bruno', 'carla']);
    // Following a service means choosing it or following everything.
    expect(await emails({ service: a })).toEqual(['anna', 'bruno', 'dario_x']);

    const page1 = await listSubscribers(as(ctx, EDITOR), { q: domain, pageSize: 3 });
    const page2 = await listSubscribers(as(ctx, EDITOR), { q: domain, pageSize: 3, page: 2 });
    expect([page1.total, page1.pages, page1.items.length, page2.items.length]).toEqual([4, 2, 3, 1]);
    expect(new Set([...page1.items, ...page2.items].map((s) => s.id)).size).toBe(4);

    const err = await expectServiceError(listSubscribers(as(ctx, EDITOR), { state: 'gone' as 'pending' }), 'validation_failed');
    expect(err.fields).toHaveProperty('state');
  });

  test('counts by state, confirmed ones by language and by service (every-service followers in each row)', async ({ db }) => {
    const { ctx, a, b, domain } = await setup(db);
    const before = await subscriberCounts(as(ctx, VIEWER));
    await addSubscriber(db, { email: `1@${domain}`, locale: 'it', allServices: true });
    await addSubscriber(db, { email: `2@${domain}`, locale: 'en', allServices: false, serviceKeys: [a] });
    await addSubscriber(db, { email: `3@${domain}`, locale: 'en', allServices: false, serviceKeys: [a, b] });
    await addSubscriber(db, { email: `4@${domain}`, locale: 'en', allServices: false, serviceKeys: [b], state: 'pending' });
    await addSubscriber(db, { email: `5@${domain}`, state: 'suppressed' });
    const after = await subscriberCounts(as(ctx, VIEWER));
    const delta = (x: number, y: number) => x - y;
    expect(delta(after.total, before.total)).toBe(5);
    expect(delta(after.byState.confirmed, before.byState.confirmed)).toBe(3);
    expect(delta(after.byState.pending, before.byState.pending)).toBe(1);
    expect(delta(after.byState.suppressed, before.byState.suppressed)).toBe(1);
    expect(delta(after.byLanguage.it, before.byLanguage.it)).toBe(1);
    expect(delta(after.byLanguage.en, before.byLanguage.en)).toBe(2);
    expect(delta(after.allServices, before.allServices)).toBe(1);
    const ofService = (c: typeof after, key: string) => c.byService.find((s) => s.key === key)!.count;
    // a: the every-service follower, 2 and 3; b: the every-service follower and 3 (4 is still pending).
    expect(ofService(after, a)).toBe(before.allServices + 3);
    expect(ofService(after, b)).toBe(before.allServices + 2);
  });
});

describe('import preview', () => {
  test('judges every row and names the reason of each refusal, writing nothing', async ({ db }) => {
    const { ctx, a, b, domain } = await setup(db);
    await addSubscriber(db, { email: `old@${domain}` });
    await addSubscriber(db, { email: `left@${domain}`, state: 'unsubscribed' });
    await addSubscriber(db, { email: `blocked@${domain}`, state: 'suppressed' });
    const csv = [
      'E-mail;Lingua;Servizi',
      `new1@${domain};it;*`,
      `NEW2@${domain};EN;"${a} ${b}"`,
      `not-an-address;it;`,
      `new3@${domain};de;`,
      `new4@${domain};en;${a} nope-${uid()}`,
      `new1@${domain};en;`,
      `old@${domain};en;`,
      `left@${domain};it;`,
      `blocked@${domain};it;`,
    ].join('\r\n');
    const before = await db.select().from(subscribers);
    const plan = await previewImport(ctx, { csv });
    expect(plan.rows.map((r) => [r.line, r.action, r.reason ?? null])).toEqual([
      [2, 'create', null],
      [3, 'create', null],
      [4, 'skip', 'invalid_email'],
      [5, 'skip', 'invalid_language'],
      [6, 'skip', 'unknown_services'],
      [7, 'skip', 'duplicate_in_file'],
      [8, 'skip', 'already_subscribed'],
      [9, 'skip', 'unsubscribed'],
      [10, 'skip', 'suppressed'],
    ]);
    expect(plan.rows[1]).toMatchObject({ email: `new2@${domain}`, locale: 'en', allServices: false, serviceKeys: [a, b] });
    expect(plan.rows[0]).toMatchObject({ allServices: true, serviceKeys: [] });
    expect(plan.rows[4]!.detail).toMatch(/^nope-/);
    expect(plan.totals).toEqual({ create: 2, update: 0, skip: 7 });
    expect(await db.select().from(subscribers)).toHaveLength(before.length);

    // With "update existing", a subscribed address whose choices differ is updated; an identical one is unchanged.
    const again = await previewImport(ctx, { csv: `email,language\nold@${domain},en\n`, updateExisting: true });
    expect(again.rows[0]).toMatchObject({ action: 'update' });
    const same = await previewImport(ctx, { csv: `email,language\nold@${domain},it\n`, updateExisting: true });
    expect(same.rows[0]).toMatchObject({ action: 'skip', reason: 'unchanged' });
  });

  test('refuses a file it cannot read as a whole, naming the problem', async ({ db }) => {
    const { ctx } = await setup(db);
    for (const [csv, pattern] of [
      ['', /empty/],
      ['name,language\nx,it\n', /"email"/],
      ['email\n"open@example.com\n', /not valid CSV \(line 2\)/],
    ] as const) {
      const err = await expectServiceError(previewImport(ctx, { csv }), 'validation_failed');
      expect(err.fields?.csv).toMatch(pattern);
    }
  });
});

describe('import apply', () => {
  test('creates pending subscribers and queues one confirmation e-mail each, with a report and an audit row', async ({ db }) => {
    const { ctx, a, domain } = await setup(db);
    await addSubscriber(db, { email: `old@${domain}` });
    const csv = `email,language,services\nx1@${domain},it,\nx2@${domain},en,${a}\nold@${domain},it,\nbad,it,\n`;
    const plan = await previewImport(ctx, { csv });
    // The browser sends the file back with CRLF line ends: still the previewed file.
    const report = await applyImport(ctx, { csv: csv.replace(/\n/g, '\r\n'), fingerprint: plan.fingerprint });
    expect(report.totals).toEqual({ create: 2, update: 0, skip: 2 });
    expect(report.consent).toBe('double_opt_in');
    expect(report.confirmationsQueued).toBe(2);

    const [x2] = await db.select().from(subscribers).where(eq(subscribers.email, `x2@${domain}`));
    expect(x2).toMatchObject({ state: 'pending', source: 'import', consent: 'double_opt_in', locale: 'en', allServices: false, serviceKeys: [a] });
    const mails = await db.select().from(emailMessages).where(eq(emailMessages.subscriberId, x2!.id));
    expect(mails).toHaveLength(1);
    expect(mails[0]).toMatchObject({ kind: 'confirm', email: `x2@${domain}`, locale: 'en', state: 'queued' });
    const content = mails[0]!.content as { text: string };
    expect(content.text).toContain('/en/subscribe/confirm/');
    const queued = await db.select().from(outbox).where(eq(outbox.subjectId, mails[0]!.batchId));
    expect(queued.map((j) => j.kind)).toEqual(['email.batch']);

    const audit = await auditFor(db, 'subscriber_import', report.importId);
    expect(audit).toHaveLength(1);
    expect(audit[0]!.actor).toBe('operator:op-admin');
    expect(audit[0]!.after).toMatchObject({ create: 2, skip: 2, consent: 'double_opt_in', confirmationsQueued: 2 });
  });

  test("a large import's confirmations go out a hundred to a provider request, each with its own link", async ({ db }) => {
    const { ctx, domain } = await setup(db);
    const emails = Array.from({ length: 205 }, (_, i) => `bulk${i}@${domain}`);
    const csv = `email\n${emails.join('\n')}\n`;
    const report = await applyImport(ctx, { csv, fingerprint: (await previewImport(ctx, { csv })).fingerprint });
    expect(report.confirmationsQueued).toBe(205);
    const mails = await db.select().from(emailMessages).where(eq(emailMessages.kind, 'confirm'));
    const ours = mails.filter((m) => m.email.endsWith(`@${domain}`));
    expect(ours).toHaveLength(205);
    const byBatch = Map.groupBy(ours, (m) => m.batchId);
    expect([...byBatch.values()].map((b) => b.length).sort((x, y) => y - x)).toEqual([100, 100, 5]);
    for (const batch of byBatch.values()) {
      expect(batch.map((m) => m.position).sort((x, y) => x - y)).toEqual(batch.map((_, i) => i));
      const jobs = await db.select().from(outbox).where(eq(outbox.subjectId, batch[0]!.batchId));
      expect(jobs.map((j) => j.kind)).toEqual(['email.batch']);
    }
    const links = new Set(ours.map((m) => /\/subscribe\/confirm\/[^\s"]+/.exec((m.content as { text: string }).text)![0]));
    expect(links.size).toBe(205);
  });

  test('with consent attested elsewhere: confirmed at once, no e-mail, the note and the operator recorded', async ({ db }) => {
    const { ctx, domain } = await setup(db);
    const csv = `email\nattested@${domain}\n`;
    const plan = await previewImport(ctx, { csv });
    const missing = await expectServiceError(applyImport(ctx, { csv, fingerprint: plan.fingerprint, attestConsent: true }), 'validation_failed');
    expect(missing.fields).toHaveProperty('consentNote');
    expect(await db.select().from(subscribers).where(eq(subscribers.email, `attested@${domain}`))).toHaveLength(0);

    const note = 'Signed partner contract of 3 March 2026, annex B (alert contacts).';
    const report = await applyImport(ctx, { csv, fingerprint: plan.fingerprint, attestConsent: true, consentNote: note });
    expect(report).toMatchObject({ consent: 'operator_attested', confirmationsQueued: 0, totals: { create: 1, update: 0, skip: 0 } });
    const [s] = await db.select().from(subscribers).where(eq(subscribers.email, `attested@${domain}`));
    expect(s).toMatchObject({ state: 'confirmed', consent: 'operator_attested', source: 'import' });
    expect(s!.confirmedAt).toEqual(new Date('2026-11-20T10:00:00Z'));
    expect(s!.consentNote).toContain(note);
    expect(s!.consentNote).toContain('operator:op-admin');
    expect(s!.consentNote).toContain(report.importId);
    expect(await db.select().from(emailMessages).where(eq(emailMessages.subscriberId, s!.id))).toHaveLength(0);
    const [audit] = await auditFor(db, 'subscriber_import', report.importId);
    expect(audit!.after).toMatchObject({ consent: 'operator_attested', consentNote: note });
  });

  test('refuses a file that is not the one previewed', async ({ db }) => {
    const { ctx, domain } = await setup(db);
    const plan = await previewImport(ctx, { csv: `email\none@${domain}\n` });
    await expectServiceError(applyImport(ctx, { csv: `email\none@${domain}\ntwo@${domain}\n`, fingerprint: plan.fingerprint }), 'conflict');
    // The option is part of what was previewed too.
    await expectServiceError(applyImport(ctx, { csv: `email\none@${domain}\n`, updateExisting: true, fingerprint: plan.fingerprint }), 'conflict');
  });
});

describe('export', () => {
  test('writes RFC 4180 CSV: quotes where needed, formula-looking cells neutralised, values recoverable', async ({ db }) => {
    const { ctx, domain } = await setup(db);
    // Addresses another path may have stored (the importer itself accepts only plain addresses).
    const odd = [`=HYPERLINK("http://evil")@${domain}`, `"quoted,comma"@${domain}`, `@SUM(A1)@${domain}`, `line\nbreak@${domain}`];
    for (const email of odd) await addSubscriber(db, { email });
    const csv = await readAll(await exportSubscribersCsv(ctx, { q: domain }));
    const lines = csv.split('\r\n');
    expect(lines[0]).toBe('email,language,services,state,consent,source,created_at,confirmed_at');
    const cells = (parse(csv, { relax_column_count: false }) as string[][]).slice(1).map((r) => r[0]!);
    // No cell a spreadsheet would run: each starts with the apostrophe, and restoreCell gives the value back.
    expect(cells.filter((c) => /^[=+\-@]/.test(c))).toEqual([]);
    expect(cells.map(restoreCell).sort()).toEqual([...odd].sort());
    expect(csv).toContain(`"""quoted,comma""@${domain}"`);
  });

  test('imports back to the same list (addresses, languages, services), apostrophes included', async ({ db }) => {
    const { ctx, a, b, domain } = await setup(db);
    const rows = [
      { email: `+plus@${domain}`, locale: 'it' as const, allServices: true, serviceKeys: [] },
      { email: `-minus@${domain}`, locale: 'en' as const, allServices: false, serviceKeys: [a, b] },
      { email: `'+quote@${domain}`, locale: 'en' as const, allServices: false, serviceKeys: [b] },
      { email: `plain.name@${domain}`, locale: 'it' as const, allServices: false, serviceKeys: [a] },
    ];
    for (const r of rows) await addSubscriber(db, r);
    const csv = await readAll(await exportSubscribersCsv(ctx, { q: domain }));
    expect(csv).toContain(`'+plus@${domain}`);
    expect(csv).toContain(`''+quote@${domain}`);
    for (const r of rows) await db.delete(subscribers).where(eq(subscribers.email, r.email));

    const plan = await previewImport(ctx, { csv });
    expect(plan.totals).toEqual({ create: 4, update: 0, skip: 0 });
    await applyImport(ctx, { csv, fingerprint: plan.fingerprint, attestConsent: true, consentNote: 'Round trip of our own export.' });
    const back = await listSubscribers(as(ctx, EDITOR), { q: domain });
    const shape = (r: { email: string; locale: string; allServices: boolean; serviceKeys: string[] }) =>
      `${r.email}|${r.locale}|${r.allServices}|${[...r.serviceKeys].sort().join(' ')}`;
    expect(back.items.map(shape).sort()).toEqual(rows.map(shape).sort());
  });

  test('streams the whole list across pages with the filter applied', async ({ db }) => {
    const { ctx, domain } = await setup(db);
    const many = Array.from({ length: 1_203 }, (_, i) => ({ email: `n${i}@${domain}`, state: i % 2 ? ('confirmed' as const) : ('pending' as const) }));
    await db.insert(subscribers).values(many);
    const chunks: string[] = [];
    for await (const c of await exportSubscribersCsv(ctx, { q: domain, state: 'confirmed' })) chunks.push(c);
    expect(chunks.length).toBeGreaterThan(1);
    const parsed = parse(chunks.join(''), { columns: true }) as { email: string; state: string }[];
    expect(parsed).toHaveLength(601);
    expect(new Set(parsed.map((r) => r.email)).size).toBe(601);
    expect(parsed.every((r) => r.state === 'confirmed')).toBe(true);
  });
});

describe('one subscriber', () => {
  test('suppress stops e-mails for good and is audited; erase deletes the row keeping no address in the log', async ({ db }) => {
    const { ctx, domain } = await setup(db);
    const s = await addSubscriber(db, { email: `one@${domain}` });
    const editor = as(ctx, EDITOR);
    const reasonless = await expectServiceError(suppressSubscriber(editor, { subscriberId: s.id, reason: '' }), 'validation_failed');
    expect(reasonless.fields).toHaveProperty('reason');
    const suppressed = await suppressSubscriber(editor, { subscriberId: s.id, reason: 'asked by phone' });
    expect(suppressed).toMatchObject({ state: 'suppressed', suppressedReason: 'operator: asked by phone' });
    expect((await getSubscriber(editor, { subscriberId: s.id })).subscriber.state).toBe('suppressed');
    // A suppressed address is not brought back by an import.
    const plan = await previewImport(ctx, { csv: `email\none@${domain}\n`, updateExisting: true });
    expect(plan.rows[0]).toMatchObject({ action: 'skip', reason: 'suppressed' });

    await removeSubscriber(editor, { subscriberId: s.id });
    await expectServiceError(getSubscriber(editor, { subscriberId: s.id }), 'not_found');
    await expectServiceError(removeSubscriber(editor, { subscriberId: s.id }), 'not_found');
    const audit = await auditFor(db, 'subscriber', s.id);
    expect(audit.map((r) => r.action)).toEqual(['subscriber.suppress', 'subscriber.remove']);
    expect(JSON.stringify(audit)).not.toContain(`one@${domain}`);
  });
});

describe('who may do what', () => {
  test('viewers see counts only; editors look people up and suppress; import and export are for administrators', async ({ db }) => {
    const { ctx, domain } = await setup(db);
    const s = await addSubscriber(db, { email: `who@${domain}` });
    const viewer = as(ctx, VIEWER);
    const editor = as(ctx, EDITOR);
    const publicActor = as(ctx, { kind: 'public', id: 'anon' });
    await expect(subscriberCounts(viewer)).resolves.toHaveProperty('total');
    await expectServiceError(subscriberCounts(publicActor), 'forbidden');
    await expectServiceError(listSubscribers(viewer), 'forbidden');
    await expectServiceError(getSubscriber(viewer, { subscriberId: s.id }), 'forbidden');
    await expectServiceError(suppressSubscriber(viewer, { subscriberId: s.id, reason: 'no way' }), 'forbidden');
    await expectServiceError(removeSubscriber(viewer, { subscriberId: s.id }), 'forbidden');
    await expect(listSubscribers(editor, { q: domain })).resolves.toMatchObject({ total: 1 });
    await expectServiceError(exportSubscribersCsv(editor), 'forbidden');
    await expectServiceError(previewImport(editor, { csv: `email\nx@${domain}\n` }), 'forbidden');
    await expectServiceError(applyImport(editor, { csv: `email\nx@${domain}\n`, fingerprint: '0'.repeat(64) }), 'forbidden');
    // An API token with the admin scope may export (the same rule for every surface).
    await expect(exportSubscribersCsv(as(ctx, { kind: 'token', id: 't', scopes: ['admin'] }))).resolves.toBeDefined();
  });
});

describe('the embedded mailbox', () => {
  test('reads back the plain-text part of a message the embedded transport wrote', () => {
    const raw = renderEml('abc123', { from: 'Vedetta <status@localhost>', to: 'a@example.com', subject: 'Già risolto', text: 'Riga uno\nàèì — fine', html: '<p>x</p>', headers: {} }, new Date('2026-11-20T10:00:00Z'));
    expect(textPartOf(raw)).toBe('Riga uno\nàèì — fine');
    expect(textPartOf('Subject: no parts\r\n\r\nbody')).toBeNull();
  });
});
