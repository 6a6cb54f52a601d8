import { dispatchAttempt, firstAttemptOfRun, retryPolicyFor } from '../../../src/engine/attempts';
import type { TaskState } from '@wlm/orchestrator';
import type { DispatchReason } from '../../../src/engine/attempts';

describe('dispatchAttempt', () => {
  const cases: [TaskState, number, DispatchReason, number | undefined][] = [
    ['PENDING', 0, 'ready', 1],
    ['PENDING', 7, 'ready', 7], // a rerun's first attempt, set on the node
    ['PENDING', 0, 'recover', 1],
    ['QUEUED', 2, 'ready', undefined],
    ['QUEUED', 2, 'recover', 2], // the same attempt again: a duplicate is dropped downstream
    ['RUNNING', 2, 'recover', 2],
    ['RUNNING', 2, 'resume', 3], // cancelled with its experiment: a new attempt
    ['FAILED', 2, 'ready', undefined],
    ['FAILED', 2, 'recover', undefined], // the scheduler owns retries
    ['FAILED', 2, 'resume', 3],
    ['CANCELLED', 1, 'ready', undefined],
    ['CANCELLED', 1, 'recover', 2],
    ['CANCELLED', 1, 'resume', 2],
    ['COMPLETED', 1, 'resume', undefined],
  ];
  it.each(cases)('%s at attempt %i, %s → %s', (state, attempt, reason, expected) => {
    expect(dispatchAttempt({ state, attempt }, reason)).toBe(expected);
  });
});

describe('firstAttemptOfRun', () => {
  it('starts run 1 at 1 and every later run above anything an earlier run can still produce', () => {
    expect(firstAttemptOfRun(1, 0, 3)).toBe(1);
    // Largest recorded 2, one more may be unrecorded (3), scheduler retries of it up to 3 - 1 + 3 = 5.
    expect(firstAttemptOfRun(2, 2, 3)).toBe(6);
    expect(firstAttemptOfRun(3, 999, 20)).toBe(1000);
  });
});

describe('retryPolicyFor', () => {
  it('passes the policy through for a first attempt and shifts the budget for a later one', () => {
    expect(retryPolicyFor(undefined, 1)).toBeUndefined();
    expect(retryPolicyFor({ maxAttempts: 2, backoffMs: 5 }, 1)).toEqual({ maxAttempts: 2, backoffMs: 5 });
    expect(retryPolicyFor({ maxAttempts: 2, backoffMs: 5 }, 4)).toEqual({ maxAttempts: 5, backoffMs: 5 });
    expect(retryPolicyFor(undefined, 3)).toEqual({ maxAttempts: 5, backoffMs: 1000 });
    expect(retryPolicyFor({ maxAttempts: 20, backoffMs: 0 }, 95)).toEqual({ maxAttempts: 100, backoffMs: 0 });
  });
});
