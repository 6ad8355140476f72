import type { APIRoute } from 'astro';
import { failureOf, messagePage } from '../../../http/console-page.ts';
import { LOCALE_COOKIE, SIGN_IN_PATH, consoleLocale } from '../../../http/console.ts';
import { adminDict } from '../../../i18n/admin/index.ts';
import { operatorActor } from '../../../services/auth.ts';
import { exportSubscribersCsv } from '../../../services/subscriber-admin.ts';

/**
 * The subscriber list as a CSV download (administrators), with the list page's filters. A GET that changes
 * nothing, so no CSRF token; it is streamed a page of rows at a time, and starts with a byte-order mark so
 * spreadsheet programs read the addresses as UTF-8 (the importer skips it).
 */
export const GET: APIRoute = async (context) => {
  const { locals, url } = context;
  const locale = consoleLocale(context.cookies.get(LOCALE_COOKIE)?.value, context.request.headers.get('accept-language'));
  const t = adminDict(locale);
  if (!locals.operator || !locals.sessionToken) {
    return context.redirect(`${SIGN_IN_PATH}?next=${encodeURIComponent(url.pathname + url.search)}`, 303);
  }
  const ctx = { ...locals.ctx, actor: operatorActor(locals.operator) };
  const q = url.searchParams;
  const filter = Object.fromEntries(['q', 'state', 'service', 'locale'].map((k) => [k, q.get(k)?.trim() || undefined]));
  let chunks: AsyncIterable<string>;
  try {
    chunks = await exportSubscribersCsv(ctx, filter);
  } catch (error) {
    const failure = failureOf(error, t);
    const title = failure.code === 'forbidden' ? t.errors.forbiddenTitle : t.errors.summaryTitle;
    const body = failure.code === 'forbidden' ? t.errors.forbiddenPage : [failure.message, ...Object.values(failure.fields)].join(' ');
    return messagePage(t, locale, failure.status, title, body);
  }
  const encoder = new TextEncoder();
  const iterator = chunks[Symbol.asyncIterator]();
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(encoder.encode('\uFEFF'));
    },
    // Pull-based: the next page of rows is read only when the client has taken the previous one.
    async pull(controller) {
      const next = await iterator.next();
      if (next.done) controller.close();
      else controller.enqueue(encoder.encode(next.value));
    },
    async cancel() {
      await iterator.return?.();
    },
  });
  const day = ctx.now().toISOString().slice(0, 10);
  return new Response(body, {
    headers: {
      'Content-Type': 'text/csv; charset=utf-8',
      'Content-Disposition': `attachment; filename="subscribers-${day}.csv"`,
      'Cache-Control': 'no-store',
      'X-Robots-Tag': 'noindex, nofollow',
      'X-Content-Type-Options': 'nosniff',
    },
  });
};
