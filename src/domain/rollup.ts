/**
 * From many service statuses and open incidents to one page-level verdict, as Atlassian Statuspage
 * does it, so that the Statuspage-compatible API and the banner on the page never disagree.
 */
import {
  INDICATORS,
  SERVICE_STATUSES,
  type IncidentImpact,
  type Indicator,
  type Locale,
  type ServiceStatus,
} from './vocab.ts';

/**
 * 0 (operational) … 4 (major_outage), in the order of SERVICE_STATUSES. Maintenance ranks just above
 * operational so a group with one service in maintenance shows it, but any real trouble outranks it.
 */
export function serviceStatusSeverity(status: ServiceStatus): number {
  return SERVICE_STATUSES.indexOf(status);
}

export function compareServiceStatus(a: ServiceStatus, b: ServiceStatus): number {
  return serviceStatusSeverity(a) - serviceStatusSeverity(b);
}

/** The most severe status; an empty list (a group with no services yet) is operational. */
export function worstStatus(statuses: Iterable<ServiceStatus>): ServiceStatus {
  let worst: ServiceStatus = 'operational';
  for (const s of statuses) if (serviceStatusSeverity(s) > serviceStatusSeverity(worst)) worst = s;
  return worst;
}

export function indicatorSeverity(indicator: Indicator): number {
  return INDICATORS.indexOf(indicator);
}

/** Statuspage's mapping. Maintenance is planned and announced, so it is not an outage. */
export function statusIndicator(status: ServiceStatus): Indicator {
  switch (status) {
    case 'major_outage':
      return 'critical';
    case 'partial_outage':
      return 'major';
    case 'degraded_performance':
      return 'minor';
    case 'under_maintenance':
    case 'operational':
      return 'none';
  }
}

export function worstIndicator(indicators: Iterable<Indicator>): Indicator {
  let worst: Indicator = 'none';
  for (const i of indicators) if (indicatorSeverity(i) > indicatorSeverity(worst)) worst = i;
  return worst;
}

/**
 * The page indicator: the worst of what the services show and of the impact of unresolved incidents.
 * An incident counts even when no service status was changed, because operators often open the
 * incident first and touch the services later (or never, for "can't tell yet" problems).
 * Callers pass only unresolved incidents; impacts and indicators share the same four values.
 */
export function pageIndicator(
  serviceStatuses: readonly ServiceStatus[],
  activeIncidentImpacts: readonly IncidentImpact[],
): Indicator {
  return worstIndicator([...serviceStatuses.map(statusIndicator), ...activeIncidentImpacts]);
}

const DESCRIPTIONS: Record<Locale, Record<Indicator | 'maintenance', string>> = {
  it: {
    none: 'Tutti i sistemi operativi',
    maintenance: 'Manutenzione in corso',
    minor: 'Disservizio lieve',
    major: 'Disservizio parziale',
    critical: 'Disservizio grave',
  },
  // Statuspage's own phrasings, so API consumers that show `status.description` read what they expect.
  en: {
    none: 'All Systems Operational',
    maintenance: 'Service Under Maintenance',
    minor: 'Minor Service Outage',
    major: 'Partial System Outage',
    critical: 'Major Service Outage',
  },
};

/**
 * The banner phrase. Maintenance only changes the wording when nothing is actually wrong: saying
 * "all systems operational" while a service is down for maintenance would mislead, but a real
 * outage must not be softened into "maintenance".
 */
export function indicatorDescription(
  indicator: Indicator,
  locale: Locale,
  options: { anyMaintenance?: boolean } = {},
): string {
  const phrases = DESCRIPTIONS[locale] ?? DESCRIPTIONS.it;
  if (indicator === 'none' && options.anyMaintenance) return phrases.maintenance;
  return phrases[indicator];
}
