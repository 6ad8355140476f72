/**
 * Which status changes incidents, maintenance windows and recovery milestones may go through.
 *
 * The tables are the single source of truth: the admin forms offer `allowedNext(...)`, and the
 * services refuse anything else with the reason from `transitionError(...)`, so an operator posting
 * under pressure gets told why, instead of silently corrupting a timeline that partners republish.
 */
import type { IncidentStatus, MaintenanceStatus, MilestoneState } from './vocab.ts';

export type LifecycleKind = 'incident' | 'maintenance' | 'milestone';

type StateOf = {
  incident: IncidentStatus;
  maintenance: MaintenanceStatus;
  milestone: MilestoneState;
};
export type LifecycleState<K extends LifecycleKind> = StateOf[K];

/*
 * Staying in the same state is listed where it means "post another update without changing the
 * status" (a second "investigating" update, a note on a resolved incident, a reminder for scheduled
 * maintenance). For milestones it is only listed for "delayed", where it means a new expected date.
 */
export const INCIDENT_TRANSITIONS: Readonly<Record<IncidentStatus, readonly IncidentStatus[]>> = {
  investigating: ['investigating', 'identified', 'monitoring', 'resolved'],
  identified: ['investigating', 'identified', 'monitoring', 'resolved'],
  monitoring: ['investigating', 'identified', 'monitoring', 'resolved'],
  // Going back to an active status reopens the incident (the problem came back).
  resolved: ['resolved', 'postmortem', 'investigating', 'identified', 'monitoring'],
  // The postmortem is the last word; a recurrence is a new incident that can link to it.
  postmortem: [],
};

export const MAINTENANCE_TRANSITIONS: Readonly<Record<MaintenanceStatus, readonly MaintenanceStatus[]>> = {
  // scheduled → completed also covers a window cancelled or finished before it started.
  scheduled: ['scheduled', 'in_progress', 'completed'],
  // Verification is optional: short windows go straight to completed.
  in_progress: ['in_progress', 'verifying', 'completed'],
  verifying: ['verifying', 'completed'],
  completed: [],
};

export const MILESTONE_TRANSITIONS: Readonly<Record<MilestoneState, readonly MilestoneState[]>> = {
  planned: ['in_progress', 'delayed', 'cancelled', 'done'],
  in_progress: ['done', 'delayed', 'cancelled'],
  delayed: ['in_progress', 'done', 'cancelled', 'delayed'],
  done: [],
  cancelled: [],
};

const TABLES: { [K in LifecycleKind]: Readonly<Record<StateOf[K], readonly StateOf[K][]>> } = {
  incident: INCIDENT_TRANSITIONS,
  maintenance: MAINTENANCE_TRANSITIONS,
  milestone: MILESTONE_TRANSITIONS,
};

function table(kind: LifecycleKind): Readonly<Record<string, readonly string[]>> {
  return TABLES[kind];
}

function isKnown(kind: LifecycleKind, state: string): boolean {
  return Object.hasOwn(table(kind), state);
}

/** States reachable from `from` (empty for a final or unknown state). */
export function allowedNext<K extends LifecycleKind>(kind: K, from: StateOf[K]): readonly StateOf[K][] {
  return (isKnown(kind, from) ? table(kind)[from] : []) as readonly StateOf[K][];
}

export function isFinal<K extends LifecycleKind>(kind: K, state: StateOf[K]): boolean {
  return isKnown(kind, state) && allowedNext(kind, state).length === 0;
}

export function canTransition<K extends LifecycleKind>(kind: K, from: StateOf[K], to: StateOf[K]): boolean {
  return transitionError(kind, from, to) === null;
}

/**
 * Why `from → to` is refused, in words an operator can act on; null when it is allowed.
 * States are also checked at run time because they may come straight from a request or a row.
 */
export function transitionError<K extends LifecycleKind>(kind: K, from: StateOf[K], to: StateOf[K]): string | null {
  if (!isKnown(kind, from)) return `unknown ${kind} status "${from}"`;
  if (!isKnown(kind, to)) return `unknown ${kind} status "${to}"`;
  const next = allowedNext(kind, from);
  if (next.includes(to)) return null;
  if (next.length === 0) return `${kind} is ${from}, which is final: it cannot change to ${to}`;
  return `${kind} cannot go from ${from} to ${to}; allowed: ${next.join(', ')}`;
}

export const incidentTransitionError = (from: IncidentStatus, to: IncidentStatus) =>
  transitionError('incident', from, to);
export const maintenanceTransitionError = (from: MaintenanceStatus, to: MaintenanceStatus) =>
  transitionError('maintenance', from, to);
export const milestoneTransitionError = (from: MilestoneState, to: MilestoneState) =>
  transitionError('milestone', from, to);

/** A resolved incident going back to an active status: its resolution time must be cleared. */
export function isReopen(from: IncidentStatus, to: IncidentStatus): boolean {
  return from === 'resolved' && to !== 'resolved' && to !== 'postmortem';
}

/** A maintenance window closed before it started: stored as completed, it never ran. */
export function isCancelledMaintenance(m: { status: MaintenanceStatus; startedAt: Date | null }): boolean {
  return m.status === 'completed' && m.startedAt === null;
}

/** A milestone still to happen: neither done nor cancelled (the two states with no way out). */
export function isOpenMilestone(state: MilestoneState): boolean {
  return MILESTONE_TRANSITIONS[state].length > 0;
}

export type PlanProgress = {
  done: number;
  /** Milestones still meant to happen; cancelled ones are out of the plan, not failures of it. */
  total: number;
  /** done / total, or null for an empty plan (0 of 0 is neither 0 % nor 100 % complete). */
  ratio: number | null;
};

export function planProgress(milestones: readonly { state: MilestoneState }[]): PlanProgress {
  const counted = milestones.filter((m) => m.state !== 'cancelled');
  const done = counted.filter((m) => m.state === 'done').length;
  return { done, total: counted.length, ratio: counted.length === 0 ? null : done / counted.length };
}

/**
 * The operators promised a next update by `nextUpdateBy` and it has passed. Strictly after: at the
 * promised minute itself the promise is not yet broken.
 */
export function isOverdue(nextUpdateBy: Date | null, now: Date): boolean {
  return nextUpdateBy !== null && now.getTime() > nextUpdateBy.getTime();
}
