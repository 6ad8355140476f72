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
    const html = uptimeBarsHtml({ bars, locale: 'it', idPrefix: 'b-sdi', name: 'SDI <gateway>' });
    expect(html).toContain('aria-label="Disponibilità giornaliera di SDI &lt;gateway&gt;"');
    expect(html).not.toContain('<img');
    expect(html).toContain('• &lt;img src=x onerror=alert(1)&gt; &amp; &quot;Fatture&quot;');
    expect(html.match(/class="tip-states"/g)).toHaveLength(1);
    expect(html).toContain('Disservizio parziale: 2 h');
    expect(html.match(/role="tooltip"/g)).toHaveLength(40);
  });

  it('marks today, hides all but the last 30 days on phones, and ties each bar to its description', () => {
    const html = uptimeBarsHtml({ bars, locale: 'en', idPrefix: 'x', name: 'Web' });
    expect(html.match(/ older"/g)).toHaveLength(10);
    expect(html).toContain('class="bar lvl-operational is-today" aria-describedby="x-d39"');
    expect(html).toContain('id="x-d39"');
    expect(html).toMatch(/today, so far/);
  });
});
