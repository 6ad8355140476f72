import { describe, expect, it } from 'vitest';
import {
  indicatorDescription,
  pageIndicator,
  serviceStatusSeverity,
  statusIndicator,
  worstIndicator,
  worstStatus,
} from '../../src/domain/rollup.ts';
import { INDICATORS, LOCALES } from '../../src/domain/vocab.ts';

describe('serviceStatusSeverity', () => {
  it('orders operational < maintenance < degraded < partial < major', () => {
    const order = ['operational', 'under_maintenance', 'degraded_performance', 'partial_outage', 'major_outage'] as const;
    for (let i = 1; i < order.length; i++) {
      expect(serviceStatusSeverity(order[i]!)).toBeGreaterThan(serviceStatusSeverity(order[i - 1]!));
    }
  });
});

describe('worstStatus', () => {
  it('picks the most severe status', () => {
    expect(worstStatus(['operational', 'partial_outage', 'degraded_performance'])).toBe('partial_outage');
    expect(worstStatus(['major_outage', 'operational'])).toBe('major_outage');
  });

  it('shows maintenance over operational but not over real trouble', () => {
    expect(worstStatus(['operational', 'under_maintenance'])).toBe('under_maintenance');
    expect(worstStatus(['under_maintenance', 'degraded_performance'])).toBe('degraded_performance');
  });

  it('treats an empty group as operational and accepts any iterable', () => {
    expect(worstStatus([])).toBe('operational');
    expect(worstStatus(new Set(['degraded_performance'] as const))).toBe('degraded_performance');
  });
});

describe('statusIndicator / worstIndicator', () => {
  it('maps statuses as Statuspage does', () => {
    expect(statusIndicator('operational')).toBe('none');
    expect(statusIndicator('under_maintenance')).toBe('none');
    expect(statusIndicator('degraded_performance')).toBe('minor');
    expect(statusIndicator('partial_outage')).toBe('major');
    expect(statusIndicator('major_outage')).toBe('critical');
  });

  it('takes the worst indicator', () => {
    expect(worstIndicator([])).toBe('none');
    expect(worstIndicator(['minor', 'critical', 'major'])).toBe('critical');
  });
});

describe('pageIndicator', () => {
  it('is none when everything is operational and nothing is open', () => {
    expect(pageIndicator(['operational', 'operational'], [])).toBe('none');
    expect(pageIndicator([], [])).toBe('none');
  });

  it('never rises for maintenance', () => {
    expect(pageIndicator(['under_maintenance', 'under_maintenance', 'operational'], [])).toBe('none');
  });

  it('follows the worst service', () => {
    expect(pageIndicator(['operational', 'degraded_performance'], [])).toBe('minor');
    expect(pageIndicator(['degraded_performance', 'partial_outage', 'under_maintenance'], [])).toBe('major');
    expect(pageIndicator(['partial_outage', 'major_outage'], [])).toBe('critical');
  });

  it('rises to an open incident’s impact even when the services look fine', () => {
    expect(pageIndicator(['operational'], ['major'])).toBe('major');
    expect(pageIndicator(['under_maintenance'], ['minor'])).toBe('minor');
    expect(pageIndicator(['degraded_performance'], ['none', 'critical'])).toBe('critical');
  });

  it('is not lowered by a milder incident', () => {
    expect(pageIndicator(['major_outage'], ['minor'])).toBe('critical');
    expect(pageIndicator(['partial_outage'], ['none'])).toBe('major');
  });
});

describe('indicatorDescription', () => {
  it('uses Statuspage’s English phrasings', () => {
    expect(indicatorDescription('none', 'en')).toBe('All Systems Operational');
    expect(indicatorDescription('minor', 'en')).toBe('Minor Service Outage');
    expect(indicatorDescription('major', 'en')).toBe('Partial System Outage');
    expect(indicatorDescription('critical', 'en')).toBe('Major Service Outage');
  });

  it('speaks Italian', () => {
    expect(indicatorDescription('none', 'it')).toBe('Tutti i sistemi operativi');
    expect(indicatorDescription('major', 'it')).toBe('Disservizio parziale');
  });

  it('mentions maintenance only when nothing is wrong', () => {
    expect(indicatorDescription('none', 'en', { anyMaintenance: true })).toBe('Service Under Maintenance');
    expect(indicatorDescription('none', 'it', { anyMaintenance: true })).toBe('Manutenzione in corso');
    expect(indicatorDescription('major', 'en', { anyMaintenance: true })).toBe('Partial System Outage');
    expect(indicatorDescription('none', 'en', { anyMaintenance: false })).toBe('All Systems Operational');
  });

  it('has a distinct, non-empty phrase for every indicator in every locale', () => {
    for (const locale of LOCALES) {
      const phrases = INDICATORS.map((i) => indicatorDescription(i, locale));
      phrases.push(indicatorDescription('none', locale, { anyMaintenance: true }));
      expect(new Set(phrases).size, locale).toBe(phrases.length);
      expect(phrases.every((p) => p.trim().length > 0)).toBe(true);
    }
  });
});
