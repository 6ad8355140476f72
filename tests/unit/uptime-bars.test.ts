import { describe, expect, it } from 'vitest';
import { uptimeBarsHtml } from '../../src/components/uptime-bars.ts';
import type { DayBarView } from '../../src/services/views.ts';

const DAY = 86_400;
const zero = { operational: 0, degraded_performance: 0, partial_outage: 0, major_outage: 0, under_maintenance: 0 };

function bar(date: string, over: Partial<DayBarView> = {}): DayBarView {
  return {
    date,
    start: new Date(`${date}T00:00:00Z`),
    end: new Date(`${date}T23:59:59Z`),
    seconds: { ...zero, operational: DAY },
    noDataSeconds: 0,
    uptime: 1,
    level: 'operational',
    incidents: [],
    ...over,
  } as DayBarView;
}

describe('uptime bars markup', () => {
  const bars = Array.from({ length: 40 }, (_, i) => bar(`2026-10-${String((i % 28) + 1).padStart(2, '0')}`));
  bars[38] = bar('2026-11-27', {
    seconds: { ...zero, operational: DAY - 7200, partial_outage: 7200 },
    uptime: 0.975,
    level: 'partial',
    incidents: [{ id: 'inc1', title: '<img src=x onerror=alert(1)> & "Fatture"' }],
  });

  it('escapes incident titles and lists the time per status only where the day was not all operational', () => {
    const html = uptimeBarsHtml({ bars, locale: 'it', name: 'SDI <gateway>' });
    expect(html).toContain('aria-label="Disponibilità giornaliera di SDI &lt;gateway&gt; negli ultimi 40 giorni: 1 giorno con disservizi"');
    expect(html).not.toContain('<img');
    expect(html).toContain('• &lt;img src=x onerror=alert(1)&gt; &amp; &quot;Fatture&quot;');
    expect(html.match(/class="tip-states"/g)).toHaveLength(1);
    expect(html).toContain('Disservizio parziale: 2 h');
    expect(html.match(/<button type="button" class="bar lvl-\w+( is-today)?"( tabindex="-1")?><span class="bar-tip">/g)).toHaveLength(40);
  });

  it('puts only today\'s bar in the tab order, so a strip is one Tab stop', () => {
    const html = uptimeBarsHtml({ bars, locale: 'en', name: 'Web' });
    const buttons = html.match(/<button [^>]*>/g)!;
    expect(buttons).toHaveLength(40);
    expect(buttons.filter((b) => !b.includes('tabindex="-1"'))).toEqual(['<button type="button" class="bar lvl-operational is-today">']);
    expect(html).toContain('aria-label="Daily uptime of Web over the last 40 days: 1 day with disruption"');
  });

  it('marks today and anchors the tooltips of the first and last thirds at the strip\'s edges', () => {
    const html = uptimeBarsHtml({ bars, locale: 'en', name: 'Web' });
    const items = html.match(/<li[^>]*>/g)!;
    expect(items).toHaveLength(40);
    // 40 bars: positions 0-11 are under 30 % of the way, 28-39 over 70 %.
    expect(items.slice(0, 12).every((li) => li === '<li class="pos-left">')).toBe(true);
    expect(items.slice(12, 28).every((li) => li === '<li>')).toBe(true);
    expect(items.slice(28).every((li) => li === '<li class="pos-right">')).toBe(true);
    expect(html.match(/is-today/g)).toHaveLength(1);
    expect(html).toMatch(/class="bar lvl-operational is-today"><span class="bar-tip"><strong>[^<]+ · today, so far<\/strong>/);
  });

  it('separates the details with spaces, so the accessible name does not run words together', () => {
    const html = uptimeBarsHtml({ bars, locale: 'en', name: 'Web' });
    const partial = html.split('<li')[39]!;
    const text = partial.replace(/<[^>]+>/g, '');
    expect(text).toMatch(/\d{4} Partial outage Uptime: 97\.50% Operational: 22 h Partial outage: 2 h Incidents that day: • /);
  });

  it('re-renders a closed day whose figures or incidents changed (its kept markup is keyed by its content)', () => {
    const before = uptimeBarsHtml({ bars, locale: 'it', name: 'Web' });
    const renamed = bars.map((b, i) => (i === 38 ? { ...b, incidents: [{ id: 'inc1', title: 'Titolo corretto' }] } : b));
    const after = uptimeBarsHtml({ bars: renamed, locale: 'it', name: 'Web' });
    expect(after).toContain('• Titolo corretto');
    expect(after).not.toContain('onerror');
    const healed = bars.map((b, i) => (i === 38 ? { ...b, seconds: { ...zero, operational: DAY }, uptime: 1, level: 'operational' as const, incidents: [] } : b));
    expect(uptimeBarsHtml({ bars: healed, locale: 'it', name: 'Web' }).match(/lvl-partial/g)).toBeNull();
    // Unchanged input: the same markup as the first time.
    expect(uptimeBarsHtml({ bars, locale: 'it', name: 'Web' })).toBe(before);
  });

  it('keys the kept markup by every figure a bar shows, each one on its own', () => {
    const base = bars[38]!;
    const variants: [string, DayBarView][] = [
      ['date', { ...base, date: '2026-11-26' }],
      ['level', { ...base, level: 'major' }],
      ['uptime', { ...base, uptime: 0.5 }],
      ['unknown time', { ...base, noDataSeconds: 3600 }],
      ['a second incident', { ...base, incidents: [...base.incidents, { id: 'inc2', title: 'Secondo' }] }],
      ...Object.keys(zero).map((status): [string, DayBarView] => [status, { ...base, seconds: { ...base.seconds, [status]: base.seconds[status as keyof typeof zero] + 3600 } }]),
    ];
    const before = uptimeBarsHtml({ bars, locale: 'en', name: 'Web' });
    for (const [label, variant] of variants) {
      const changed = uptimeBarsHtml({ bars: bars.map((b, i) => (i === 38 ? variant : b)), locale: 'en', name: 'Web' });
      expect(changed, label).not.toBe(before);
    }
  });
});
