/**
 * The markup of one service's 90 daily bars, built as one string. The home page shows seven strips (630 bars,
 * ~6,000 elements); rendered element by element through Astro's async template machinery they were most of
 * the page's cold render time, while this is plain string concatenation. Every operator-written text (the
 * incident titles) goes through escapeHtml.
 */
import { escapeHtml } from '../domain/html.ts';
import { SERVICE_STATUSES, type Locale } from '../domain/vocab.ts';
import { dict } from '../i18n/index.ts';
import { formatDayKey, formatPercent, formatSeconds } from '../i18n/format.ts';
import type { DayBarView } from '../services/views.ts';

/** Phones show only the last 30 bars; older ones carry a class that hides them. */
const MOBILE_DAYS = 30;

export function uptimeBarsHtml(opts: { bars: DayBarView[]; locale: Locale; idPrefix: string; name: string }): string {
  const { bars, locale, idPrefix, name } = opts;
  const t = dict(locale);
  const count = bars.length;
  const out: string[] = [`<ol class="bars" aria-label="${escapeHtml(t.bars.label(name))}">`];
  bars.forEach((bar, i) => {
    const isToday = i === count - 1;
    const id = `${idPrefix}-d${i}`;
    // Keep the tooltip inside the strip: anchored left, centred, or anchored right.
    const third = i / Math.max(1, count - 1);
    const pos = third < 0.3 ? 'pos-left' : third > 0.7 ? 'pos-right' : 'pos-mid';
    const date = escapeHtml(formatDayKey(bar.date, locale, true));
    const level = escapeHtml(t.dayLevel[bar.level]);
    const today = isToday ? escapeHtml(t.bars.todaySoFar) : '';
    out.push(
      `<li class="bar-item ${pos}${i < count - MOBILE_DAYS ? ' older' : ''}">`,
      `<button type="button" class="bar lvl-${bar.level}${isToday ? ' is-today' : ''}" aria-describedby="${id}">`,
      `<span class="visually-hidden">${date}${isToday ? ` (${today})` : ''}: ${level}</span></button>`,
      `<div class="bar-tip" role="tooltip" id="${id}"><strong class="tip-date">${date}${isToday ? ` · ${today}` : ''}</strong>`,
      `<span class="tip-level lvl-text-${bar.level}"><span class="swatch lvl-${bar.level}" aria-hidden="true"></span>${level}</span>`,
      bar.uptime === null
        ? `<span class="tip-line">${escapeHtml(t.bars.noData)}</span>`
        : `<span class="tip-line">${escapeHtml(t.bars.uptime)}: <strong>${escapeHtml(formatPercent(bar.uptime, locale))}</strong></span>`,
      statesHtml(bar, locale),
      incidentsHtml(bar, locale),
      '</div></li>',
    );
  });
  out.push('</ol>');
  return out.join('');
}

/** Time per status; left out for a day that was entirely operational, where it would only repeat "100%". */
function statesHtml(bar: DayBarView, locale: Locale): string {
  const t = dict(locale);
  const states = SERVICE_STATUSES.filter((s) => bar.seconds[s] >= 60);
  const unknown = bar.level !== 'nodata' && bar.noDataSeconds >= 60;
  if (states.length === 0 || (!unknown && states.length === 1 && states[0] === 'operational')) return '';
  const lines = states.map((s) => `<span class="tip-line">${escapeHtml(t.serviceStatus[s])}: ${escapeHtml(formatSeconds(bar.seconds[s], locale))}</span>`);
  if (unknown) lines.push(`<span class="tip-line">${escapeHtml(t.dayLevel.nodata)}: ${escapeHtml(formatSeconds(bar.noDataSeconds, locale))}</span>`);
  return `<span class="tip-states">${lines.join('')}</span>`;
}

function incidentsHtml(bar: DayBarView, locale: Locale): string {
  if (bar.incidents.length === 0) return '';
  const t = dict(locale);
  const lines = bar.incidents.map((inc) => `<span class="tip-line">• ${escapeHtml(inc.title)}</span>`);
  return `<span class="tip-incidents"><span class="tip-line tip-head">${escapeHtml(t.bars.incidents)}:</span>${lines.join('')}</span>`;
}
