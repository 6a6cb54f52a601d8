import type { ExperimentView, TaskView } from '@wlm/orchestrator';
import { formatExperiment, formatWaits } from '../../../src/cli/experiment-format';

function task(taskId: string, state: TaskView['state'], waitingFor: string | null): TaskView {
  return {
    taskId,
    taskType: 'job-submission',
    state,
    isExecuted: false,
    attempt: 1,
    after: [],
    outputs: null,
    runs: [],
    waitingFor,
    progress: null,
  };
}

function view(tasks: TaskView[]): ExperimentView {
  return {
    id: 'exp-1',
    type: 'hpc-job',
    dagVersion: 1,
    state: 'RUNNING',
    priority: 5,
    inputs: {},
    idempotencyKey: null,
    run: 1,
    failureReason: null,
    createdAt: '2026-01-01T00:00:00.000Z',
    startedAt: '2026-01-01T00:00:01.000Z',
    endedAt: null,
    updatedAt: '2026-01-01T00:00:01.000Z',
    viewedRun: 1,
    tasks,
    edges: [],
  } as ExperimentView;
}

describe('what running tasks wait for, in `wlm submit --wait` and `wlm status`', () => {
  it('prints a line when a task starts waiting for something new, and nothing while it stays the same', () => {
    const seen = new Map<string, string>();
    expect(formatWaits(view([task('run-job', 'RUNNING', 'SLURM job 42 submitted')]), seen, 1200)).toEqual([
      '[1.2 s]   run-job: SLURM job 42 submitted',
    ]);
    expect(formatWaits(view([task('run-job', 'RUNNING', 'SLURM job 42 submitted')]), seen, 2000)).toEqual([]);
    expect(
      formatWaits(
        view([task('run-job', 'RUNNING', 'SLURM job 42: PENDING (Priority)'), task('b', 'PENDING', null)]),
        seen,
        9000,
      ),
    ).toEqual(['[9.0 s]   run-job: SLURM job 42: PENDING (Priority)']);
  });

  it('shows the wait in the REASON column of a running task', () => {
    const lines = formatExperiment(view([task('run-job', 'RUNNING', 'SLURM job 42: RUNNING')]));
    expect(lines.at(-1)).toMatch(/^run-job +job-submission +RUNNING +1 .* SLURM job 42: RUNNING$/);
  });
});
