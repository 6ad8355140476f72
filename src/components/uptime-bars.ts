/**
 * The markup of one service's 90 daily bars, built as one string. The home page shows seven strips (630 bars);
 * rendered element by element through Astro's async template machinery they were most of the page's cold render
 * time, while this is plain string concatenation. Every operator-written text (the incident titles) goes
 * through escapeHtml.
 *
 * Each bar is a button whose only content is its details (date, level, uptime, time per status, the day's
 * incidents): hidden visually until hover or keyboard focus (CSS only), but always in the accessibility tree, so
 * they are the button's accessible name. No second copy for screen readers, no ids, no ARIA wiring: the page is
 * a third of the bytes it was, and a cold render of the home page costs about that much less (README,
 * "Large history"). The tooltip's swatch and the "phones show 30 days" rule come from CSS (global.css).
 *
 * A strip is one tab stop, not 90: only today's bar is in the tab order (tabindex="-1" on the others), so the
 * home page is not 630 Tab presses long. UptimeBars.astro's script moves between days with the arrow keys;
 * without it, the other days stay readable by hover, by a screen reader's reading keys, and in the service
 * page's day-by-day table (UptimeDays.astro).
 */
import { escapeHtml } from '../domain/html.ts';
import { BoundedMemo } from '../domain/memo.ts';
import { SERVICE_STATUSES, type Locale } from '../domain/vocab.ts';
import { dict } from '../i18n/index.ts';
import { formatDayKey, formatPercent, formatSeconds } from '../i18n/format.ts';
import type { DayBarView } from '../services/views.ts';

/**
 * A closed day's bar never changes unless its figures or incidents do, while the page around it is re-rendered
 * after every public write: its markup is kept, keyed by everything it is made of (about 1,300 entries for the
 * home pages in two languages; the bound only guards against a long-running process collecting old days).
 */
const closedDays = new BoundedMemo<string>(8_192);

/** The levels counted as "a day with disruption" in the strip's summary (maintenance was announced). */
const DISRUPTED: ReadonlySet<DayBarView['level']> = new Set(['degraded', 'partial', 'major']);

export function uptimeBarsHtml(opts: { bars: DayBarView[]; locale: Locale; name: string }): string {
  const { bars, locale, name } = opts;
  const t = dict(locale);
  const count = bars.length;
  // The strip's name sums it up for a screen reader arriving on today's bar: whose days, and how many went wrong.
  const disrupted = bars.filter((b) => DISRUPTED.has(b.level)).length;
  const out: string[] = [`<ol class="bars" aria-label="${escapeHtml(t.bars.label(name, count, disrupted))}">`];
  bars.forEach((bar, i) => {
    // Keep the tooltip inside the strip: anchored left, centred (no class), or anchored right.
    const third = i / Math.max(1, count - 1);
    const pos = third < 0.3 ? 'pos-left' : third > 0.7 ? 'pos-right' : '';
    if (i === count - 1) {
      out.push(barHtml(bar, pos, true, locale));
      return;
    }
    const key = `${locale} ${pos} ${barKey(bar)}`;
    out.push(closedDays.get(key) ?? closedDays.remember(key, barHtml(bar, pos, false, locale)));
  });
  out.push('</ol>');
  return out.join('');
}

/**
 * Everything barHtml reads from a bar, as one string: the kept markup's key. Built by hand, since JSON.stringify
 * of the whole bar (its Date objects included) was most of the strip's cost on a re-render.
 */
function barKey(bar: DayBarView): string {
  let key = `${bar.date} ${bar.level} ${bar.uptime} ${bar.noDataSeconds}`;
  for (const s of SERVICE_STATUSES) key += ` ${bar.seconds[s]}`;
  for (const inc of bar.incidents) key += `\n${inc.title}`;
  return key;
}

function barHtml(bar: DayBarView, pos: string, isToday: boolean, locale: Locale): string {
  const t = dict(locale);
  const date = escapeHtml(formatDayKey(bar.date, locale, true));
  // Spaces between the parts: the accessible name is their text run together.
  return [
    pos ? `<li class="${pos}">` : '<li>',
    isToday
      ? `<button type="button" class="bar lvl-${bar.level} is-today"><span class="bar-tip">`
      : `<button type="button" class="bar lvl-${bar.level}" tabindex="-1"><span class="bar-tip">`,
    `<strong>${date}${isToday ? ` · ${escapeHtml(t.bars.todaySoFar)}` : ''}</strong> `,
    `<span class="tip-level">${escapeHtml(t.dayLevel[bar.level])}</span> `,
    bar.uptime === null
      ? `<span>${escapeHtml(t.bars.noData)}</span>`
      : `<span>${escapeHtml(t.bars.uptime)}: <strong>${escapeHtml(formatPercent(bar.uptime, locale))}</strong></span>`,
    statesHtml(bar, locale),
    incidentsHtml(bar, locale),
    '</span></button></li>',
  ].join('');
}

/**
 * A day's time per status as "label: duration" lines, shared with the service page's day table; none for a day
 * that was entirely operational, where they would only repeat "100%".
 */
export function stateTimes(bar: DayBarView, locale: Locale): string[] {
  const t = dict(locale);
  const states = SERVICE_STATUSES.filter((s) => bar.seconds[s] >= 60);
  const unknown = bar.level !== 'nodata' && bar.noDataSeconds >= 60;
  if (states.length === 0 || (!unknown && states.length === 1 && states[0] === 'operational')) return [];
  const lines = states.map((s) => `${t.serviceStatus[s]}: ${formatSeconds(bar.seconds[s], locale)}`);
  if (unknown) lines.push(`${t.dayLevel.nodata}: ${formatSeconds(bar.noDataSeconds, locale)}`);
  return lines;
}

function statesHtml(bar: DayBarView, locale: Locale): string {
  const lines = stateTimes(bar, locale);
  if (lines.length === 0) return '';
  return ` <span class="tip-states">${lines.map((l) => `<span>${escapeHtml(l)}</span>`).join(' ')}</span>`;
}

function incidentsHtml(bar: DayBarView, locale: Locale): string {
  if (bar.incidents.length === 0) return '';
  const t = dict(locale);
  const lines = bar.incidents.map((inc) => ` <span>• ${escapeHtml(inc.title)}</span>`);
  return ` <span class="tip-incidents"><span class="tip-head">${escapeHtml(t.bars.incidents)}:</span>${lines.join('')}</span>`;
}
