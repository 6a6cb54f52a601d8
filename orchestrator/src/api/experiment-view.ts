import type { TaskProgressReport } from '@wlm/commons/api';
import type { DagGraph } from '@wlm/commons/dag';
import type { ConcreteDag, DagStore } from '../domain/dag-store';
import type { TaskState } from '../domain/task-state';
import type { JsonObject } from '../domain/json';
import type { Experiment, TaskRun } from '../domain/records';
import type { StateStore, TaskWait } from '../domain/state-store';
import type { DagCatalog } from '../engine/dag-catalog';

/** One run (attempt) of a task as `GET /api/experiments/:id` shows it. */
export interface TaskRunView {
  attempt: number;
  workerId: string | null;
  state: TaskState;
  startedAt: string | null;
  endedAt: string | null;
  reason: string | null;
  outputs: JsonObject | null;
}

export interface TaskView {
  taskId: string;
  taskType: string;
  state: TaskState;
  isExecuted: boolean;
  /** The latest attempt; 0 before the first dispatch. */
  attempt: number;
  /** The tasks this one waits for. */
  after: string[];
  outputs: JsonObject | null;
  runs: TaskRunView[];
  /**
   * What the task waits for, null when nothing worth saying: for a RUNNING task that runs in rounds
   * (a batch job being followed), what it said when its latest round ended, e.g. `SLURM job 42:
   * PENDING (Priority)`; for a QUEUED task no worker has taken, what the scheduler said, e.g.
   * `waiting for a worker that runs gpu-sim`.
   */
  waitingFor: string | null;
  /** The latest PROGRESS of the task's latest attempt; null when it reported none. */
  progress: TaskProgressReport | null;
}

export type ExperimentView = ReturnType<typeof experimentSummary> & {
  /** Which run the tasks belong to (the current one unless `?run=` asked for another). */
  viewedRun: number;
  tasks: TaskView[];
  edges: { from: string; to: string }[];
};

function iso(date: Date | null): string | null {
  return date === null ? null : date.toISOString();
}

/** An experiment as every API answer shows it: dates as ISO strings, every key present. */
export function experimentSummary(experiment: Experiment) {
  return {
    id: experiment.id,
    type: experiment.type,
    dagVersion: experiment.dagVersion,
    state: experiment.state,
    priority: experiment.priority,
    inputs: experiment.inputs,
    idempotencyKey: experiment.idempotencyKey,
    run: experiment.run,
    failureReason: experiment.failureReason,
    createdAt: experiment.createdAt.toISOString(),
    startedAt: iso(experiment.startedAt),
    endedAt: iso(experiment.endedAt),
    updatedAt: experiment.updatedAt.toISOString(),
  };
}

function runView(run: TaskRun): TaskRunView {
  return {
    attempt: run.attempt,
    workerId: run.workerId,
    state: run.state,
    startedAt: iso(run.startedAt),
    endedAt: iso(run.endedAt),
    reason: run.reason,
    outputs: run.outputs,
  };
}

/**
 * The live view of one run: every task of the concrete DAG with its state (Neo4j) and its attempts
 * (MySQL task runs), upstream tasks first. Before the concrete DAG exists (a PENDING experiment) the
 * tasks come from the pinned master DAG, all PENDING.
 */
export async function experimentView(
  experiment: Experiment,
  stores: { states: StateStore; dags: DagStore; catalog: DagCatalog },
  run: number = experiment.run,
): Promise<ExperimentView> {
  const [dag, runs, waits, reports] = await Promise.all([
    stores.dags.getConcreteDag(experiment.id, run),
    stores.states.listTaskRuns(experiment.id, { run }),
    stores.states.latestWaits(experiment.id, run),
    stores.states.listTaskProgress(experiment.id, run),
  ]);
  const progressOf = new Map(
    reports.flatMap((report) =>
      report.progress === null ? [] : [[`${report.taskId}#${report.attempt}`, report.progress] as const],
    ),
  );
  const waitOf = new Map(waits.map((wait) => [wait.taskId, wait]));
  const runsByTask = new Map<string, TaskRunView[]>();
  for (const taskRun of runs) {
    const list = runsByTask.get(taskRun.taskId) ?? [];
    list.push(runView(taskRun));
    runsByTask.set(taskRun.taskId, list);
  }
  const { graph } = await stores.catalog.version(experiment.type, experiment.dagVersion);
  const { tasks, edges } = dag === undefined ? fromMasterDag(graph) : fromConcreteDag(dag);
  // Upstream before downstream, as people read a DAG.
  const rank = new Map(graph.topologicalOrder().map((taskId, index) => [taskId, index]));
  const position = (taskId: string): number => rank.get(taskId) ?? Number.MAX_SAFE_INTEGER;
  return {
    ...experimentSummary(experiment),
    viewedRun: run,
    tasks: tasks
      .sort((a, b) => position(a.taskId) - position(b.taskId))
      .map((task) => ({
        ...task,
        runs: runsByTask.get(task.taskId) ?? [],
        waitingFor: waitingFor(task, waitOf.get(task.taskId), runsByTask.get(task.taskId) ?? []),
        progress: progressView(progressOf.get(`${task.taskId}#${task.attempt}`)),
      })),
    edges,
  };
}

type TaskWithoutRuns = Omit<TaskView, 'runs' | 'waitingFor' | 'progress'>;

function progressView(
  progress: { message: string | null; percent: number | null; at: Date } | undefined,
): TaskProgressReport | null {
  return progress === undefined ? null : { ...progress, at: progress.at.toISOString() };
}

/**
 * A wait says something only while it lasts: a round's while its attempt still runs, a wait for a
 * worker while its attempt is queued and no worker has been given it.
 */
function waitingFor(task: TaskWithoutRuns, wait: TaskWait | undefined, runs: TaskRunView[]): string | null {
  if (wait === undefined || wait.attempt !== task.attempt) return null;
  if (wait.kind === 'round') return task.state === 'RUNNING' ? wait.message : null;
  const placed = runs.some((run) => run.attempt === wait.attempt && run.workerId !== null);
  return task.state === 'QUEUED' && !placed ? wait.message : null;
}

function afterOf(edges: readonly { from: string; to: string }[], taskId: string): string[] {
  return edges.filter((edge) => edge.to === taskId).map((edge) => edge.from);
}

function fromConcreteDag(dag: ConcreteDag): {
  tasks: TaskWithoutRuns[];
  edges: { from: string; to: string }[];
} {
  return {
    edges: dag.edges,
    tasks: dag.tasks.map((task) => ({
      taskId: task.taskId,
      taskType: task.taskType,
      state: task.state,
      isExecuted: task.isExecuted,
      attempt: task.attempt,
      after: afterOf(dag.edges, task.taskId),
      outputs: task.outputs,
    })),
  };
}

function fromMasterDag(graph: DagGraph): { tasks: TaskWithoutRuns[]; edges: { from: string; to: string }[] } {
  const edges = graph.taskIds.flatMap((to) => graph.dependenciesOf(to).map((from) => ({ from, to })));
  return {
    edges,
    tasks: graph.taskIds.map((taskId) => ({
      taskId,
      taskType: graph.task(taskId).type,
      state: 'PENDING' as const,
      isExecuted: false,
      attempt: 0,
      after: [...graph.dependenciesOf(taskId)],
      outputs: null,
    })),
  };
}
