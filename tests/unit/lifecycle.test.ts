import { describe, expect, it } from 'vitest';
import {
  allowedNext,
  canTransition,
  incidentTransitionError,
  isFinal,
  isOverdue,
  isReopen,
  maintenanceTransitionError,
  milestoneTransitionError,
  planProgress,
  transitionError,
  type LifecycleKind,
} from '../../src/domain/lifecycle.ts';
import { INCIDENT_STATUSES, MAINTENANCE_STATUSES, MILESTONE_STATES, type MilestoneState } from '../../src/domain/vocab.ts';

// Written from the product rules, independently of the tables in lifecycle.ts: every pair not
// listed here must be refused.
const EXPECTED: Record<LifecycleKind, { states: readonly string[]; allowed: string[] }> = {
  incident: {
    states: INCIDENT_STATUSES,
    allowed: [
      ...['investigating', 'identified', 'monitoring'].flatMap((from) =>
        ['investigating', 'identified', 'monitoring', 'resolved'].map((to) => `${from}>${to}`),
      ),
      'resolved>postmortem',
      'resolved>investigating',
      'resolved>identified',
      'resolved>monitoring',
      'resolved>resolved',
    ],
  },
  maintenance: {
    states: MAINTENANCE_STATUSES,
    allowed: [
      'scheduled>in_progress',
      'in_progress>verifying',
      'verifying>completed',
      'scheduled>completed',
      'in_progress>completed',
      'scheduled>scheduled',
      'in_progress>in_progress',
      'verifying>verifying',
    ],
  },
  milestone: {
    states: MILESTONE_STATES,
    allowed: [
      'planned>in_progress',
      'planned>delayed',
      'planned>cancelled',
      'planned>done',
      'in_progress>done',
      'in_progress>delayed',
      'in_progress>cancelled',
      'delayed>in_progress',
      'delayed>done',
      'delayed>cancelled',
      'delayed>delayed',
    ],
  },
};

describe.each(Object.keys(EXPECTED) as LifecycleKind[])('%s transitions', (kind) => {
  const { states, allowed } = EXPECTED[kind];
  for (const from of states) {
    for (const to of states) {
      const ok = allowed.includes(`${from}>${to}`);
      it(`${from} → ${to} is ${ok ? 'allowed' : 'refused'}`, () => {
        const error = transitionError(kind, from as never, to as never);
        if (ok) expect(error).toBeNull();
        else expect(error).toMatch(new RegExp(`${from}.*${to}|${to}.*${from}`));
        expect(canTransition(kind, from as never, to as never)).toBe(ok);
      });
    }
  }
});

describe('transitionError messages', () => {
  it('says a state is final', () => {
    expect(incidentTransitionError('postmortem', 'investigating')).toMatch(/final/);
    expect(maintenanceTransitionError('completed', 'in_progress')).toMatch(/final/);
    expect(milestoneTransitionError('done', 'in_progress')).toMatch(/final/);
    expect(milestoneTransitionError('cancelled', 'planned')).toMatch(/final/);
  });

  it('lists what is allowed instead', () => {
    const error = maintenanceTransitionError('verifying', 'scheduled');
    expect(error).toContain('completed');
    expect(error).not.toMatch(/final/);
  });

  it('rejects unknown states coming from untyped input', () => {
    expect(transitionError('incident', 'open' as never, 'resolved')).toMatch(/unknown incident status "open"/);
    expect(transitionError('milestone', 'planned', 'finished' as never)).toMatch(/unknown milestone status "finished"/);
    // Object prototype keys are not states.
    expect(transitionError('incident', 'constructor' as never, 'resolved')).toMatch(/unknown/);
  });
});

describe('allowedNext / isFinal / isReopen', () => {
  it('lists nothing after a final state', () => {
    expect(allowedNext('incident', 'postmortem')).toEqual([]);
    expect(isFinal('incident', 'postmortem')).toBe(true);
    expect(isFinal('incident', 'resolved')).toBe(false);
    expect(isFinal('maintenance', 'completed')).toBe(true);
    expect(isFinal('milestone', 'cancelled')).toBe(true);
    expect(isFinal('milestone', 'delayed')).toBe(false);
  });

  it('recognises a reopen', () => {
    expect(isReopen('resolved', 'investigating')).toBe(true);
    expect(isReopen('resolved', 'monitoring')).toBe(true);
    expect(isReopen('resolved', 'postmortem')).toBe(false);
    expect(isReopen('resolved', 'resolved')).toBe(false);
    expect(isReopen('monitoring', 'investigating')).toBe(false);
  });
});

describe('planProgress', () => {
  const m = (...states: MilestoneState[]) => states.map((state) => ({ state }));

  it('counts done over milestones still in the plan', () => {
    expect(planProgress(m('done', 'done', 'in_progress', 'planned'))).toEqual({ done: 2, total: 4, ratio: 0.5 });
  });

  it('leaves cancelled milestones out of the total', () => {
    expect(planProgress(m('done', 'cancelled', 'delayed', 'cancelled'))).toEqual({ done: 1, total: 2, ratio: 0.5 });
    expect(planProgress(m('done', 'done', 'cancelled'))).toEqual({ done: 2, total: 2, ratio: 1 });
  });

  it('has no ratio for an empty plan', () => {
    expect(planProgress([])).toEqual({ done: 0, total: 0, ratio: null });
    expect(planProgress(m('cancelled'))).toEqual({ done: 0, total: 0, ratio: null });
  });
});

describe('isOverdue', () => {
  const promised = new Date('2026-03-19T18:00:00Z');

  it('is false with no promise', () => {
    expect(isOverdue(null, new Date('2030-01-01T00:00:00Z'))).toBe(false);
  });

  it('is false up to and including the promised instant, true after it', () => {
    expect(isOverdue(promised, new Date('2026-03-19T17:59:59Z'))).toBe(false);
    expect(isOverdue(promised, new Date('2026-03-19T18:00:00Z'))).toBe(false);
    expect(isOverdue(promised, new Date('2026-03-19T18:00:01Z'))).toBe(true);
  });
});
