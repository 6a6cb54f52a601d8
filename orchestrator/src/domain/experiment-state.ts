/** Experiment states, as users see them in the API and `wlm status` (docs/dags.md, States). */
export const EXPERIMENT_STATES = ['PENDING', 'RUNNING', 'COMPLETED', 'FAILED', 'CANCELLED'] as const;
export type ExperimentState = (typeof EXPERIMENT_STATES)[number];

/** States in which an experiment is in the running registry and the engine must drive it. */
export const ACTIVE_EXPERIMENT_STATES: readonly ExperimentState[] = ['PENDING', 'RUNNING'];
export const TERMINAL_EXPERIMENT_STATES: readonly ExperimentState[] = ['COMPLETED', 'FAILED', 'CANCELLED'];

/**
 * The experiment state machine. Terminal states leave only through an explicit resume (FAILED or
 * CANCELLED → RUNNING, same run, completed tasks kept) or a rerun (a new run number, back to PENDING;
 * see `MysqlStateStore.rerunExperiment`), never through an ordinary transition.
 */
export const EXPERIMENT_TRANSITIONS: Readonly<Record<ExperimentState, readonly ExperimentState[]>> = {
  PENDING: ['RUNNING', 'FAILED', 'CANCELLED'],
  RUNNING: ['COMPLETED', 'FAILED', 'CANCELLED'],
  COMPLETED: [],
  FAILED: ['RUNNING'],
  CANCELLED: ['RUNNING'],
};

export function isExperimentState(value: unknown): value is ExperimentState {
  return typeof value === 'string' && (EXPERIMENT_STATES as readonly string[]).includes(value);
}

export function isActiveExperimentState(state: ExperimentState): boolean {
  return ACTIVE_EXPERIMENT_STATES.includes(state);
}

export function canTransitionExperiment(from: ExperimentState, to: ExperimentState): boolean {
  return EXPERIMENT_TRANSITIONS[from].includes(to);
}
