/**
 * Status, impact and lifecycle labels come from the public site's dictionaries, so the console names every
 * state with exactly the words readers see on the public page (and its preview cannot drift from it).
 */
import type { Locale } from '../../domain/vocab.ts';
import { dict } from '../index.ts';

export function vocabulary(locale: Locale) {
  const d = dict(locale);
  return {
    serviceStatus: d.serviceStatus,
    impact: d.impact,
    incidentStatus: d.incidentStatus,
    maintenanceStatus: d.maintenanceStatus,
    milestoneState: d.milestoneState,
  };
}

export type Vocabulary = ReturnType<typeof vocabulary>;
