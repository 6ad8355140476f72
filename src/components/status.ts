/**
 * How each vocabulary value looks: a tone (colour family, see global.css) and an icon. The label
 * always comes from the dictionary and is always printed: colour and icon only reinforce it.
 */
import type { DayLevel } from '../domain/uptime.ts';
import type {
  IncidentImpact,
  IncidentStatus,
  Indicator,
  MaintenanceStatus,
  MilestoneState,
  ServiceStatus,
} from '../domain/vocab.ts';
import type { IconName } from './Icon.astro';

export type Tone = 'ok' | 'maint' | 'minor' | 'major' | 'critical' | 'neutral';
export type Look = { tone: Tone; icon: IconName };

export const SERVICE_STATUS_LOOK: Record<ServiceStatus, Look> = {
  operational: { tone: 'ok', icon: 'check-circle' },
  under_maintenance: { tone: 'maint', icon: 'wrench' },
  degraded_performance: { tone: 'minor', icon: 'gauge' },
  partial_outage: { tone: 'major', icon: 'alert-triangle' },
  major_outage: { tone: 'critical', icon: 'x-octagon' },
};

export const INDICATOR_LOOK: Record<Indicator | 'maintenance', Look> = {
  none: { tone: 'ok', icon: 'check-circle' },
  maintenance: { tone: 'maint', icon: 'wrench' },
  minor: { tone: 'minor', icon: 'gauge' },
  major: { tone: 'major', icon: 'alert-triangle' },
  critical: { tone: 'critical', icon: 'x-octagon' },
};

export const IMPACT_LOOK: Record<IncidentImpact | 'maintenance', Look> = {
  none: { tone: 'neutral', icon: 'info' },
  minor: { tone: 'minor', icon: 'gauge' },
  major: { tone: 'major', icon: 'alert-triangle' },
  critical: { tone: 'critical', icon: 'x-octagon' },
  maintenance: { tone: 'maint', icon: 'wrench' },
};

export const INCIDENT_STATUS_LOOK: Record<IncidentStatus, Look> = {
  investigating: { tone: 'neutral', icon: 'search' },
  identified: { tone: 'neutral', icon: 'alert-triangle' },
  monitoring: { tone: 'neutral', icon: 'eye' },
  resolved: { tone: 'ok', icon: 'check' },
  postmortem: { tone: 'ok', icon: 'file-text' },
};

export const MAINTENANCE_STATUS_LOOK: Record<MaintenanceStatus, Look> = {
  scheduled: { tone: 'neutral', icon: 'calendar' },
  in_progress: { tone: 'maint', icon: 'wrench' },
  verifying: { tone: 'maint', icon: 'eye' },
  completed: { tone: 'ok', icon: 'check' },
};

/** A maintenance window closed before it started (stored as completed, never started). */
export const MAINTENANCE_CANCELLED_LOOK: Look = { tone: 'neutral', icon: 'circle-slash' };

export const MILESTONE_LOOK: Record<MilestoneState, Look> = {
  planned: { tone: 'neutral', icon: 'circle' },
  in_progress: { tone: 'maint', icon: 'circle-dot' },
  done: { tone: 'ok', icon: 'check' },
  delayed: { tone: 'major', icon: 'hourglass' },
  cancelled: { tone: 'neutral', icon: 'circle-slash' },
};

/** Day bars, worst first in the legend order used on the page. */
export const DAY_LEVELS: readonly DayLevel[] = ['operational', 'maintenance', 'degraded', 'partial', 'major', 'nodata'];
