import type { ExperimentView, TaskView } from '@wlm/orchestrator';
import { table } from '../format/text-table';

const TERMINAL = new Set(['COMPLETED', 'FAILED', 'CANCELLED']);

export function isTerminal(state: string): boolean {
  return TERMINAL.has(state);
}

/** An ISO 8601 time as `2026-12-03 08:10:00Z`; `-` for none. */
export function time(iso: string | null): string {
  return iso === null ? '-' : iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

function latestRun(task: TaskView): TaskView['runs'][number] | undefined {
  return task.runs[task.runs.length - 1];
}

/** `wlm status`: the experiment, then one line per task. */
export function formatExperiment(view: ExperimentView): string[] {
  const lines = [
    `experiment ${view.id}`,
    `  type      ${view.type} (DAG version ${view.dagVersion}), run ${view.run}, priority ${view.priority}`,
    `  state     ${view.state}${view.failureReason === null ? '' : ` — ${view.failureReason}`}`,
    `  created   ${time(view.createdAt)}   started ${time(view.startedAt)}   ended ${time(view.endedAt)}`,
    '',
  ];
  const rows = view.tasks.map((task) => {
    const run = latestRun(task);
    return [
      task.taskId,
      task.taskType,
      task.state,
      String(task.attempt),
      run?.workerId ?? '-',
      time(run?.startedAt ?? null),
      time(run?.endedAt ?? null),
      run?.reason ?? task.waitingFor ?? '',
    ];
  });
  return [
    ...lines,
    ...table([['TASK', 'TYPE', 'STATE', 'ATTEMPT', 'WORKER', 'STARTED', 'ENDED', 'REASON'], ...rows]),
  ];
}

/**
 * Lines for `wlm submit --wait` about what running tasks wait for (a batch job's state), for each
 * task whose wait changed since `previous`; updates `previous`.
 */
export function formatWaits(
  view: ExperimentView,
  previous: Map<string, string>,
  elapsedMs: number,
): string[] {
  const lines: string[] = [];
  for (const task of view.tasks) {
    if (task.waitingFor === null || previous.get(task.taskId) === task.waitingFor) continue;
    previous.set(task.taskId, task.waitingFor);
    lines.push(`[${(elapsedMs / 1000).toFixed(1)} s]   ${task.taskId}: ${task.waitingFor}`);
  }
  return lines;
}

/** One progress line for `wlm submit --wait`: how many tasks are in each state. */
export function formatProgress(view: ExperimentView, elapsedMs: number): string {
  const counts = new Map<string, number>();
  for (const task of view.tasks) counts.set(task.state, (counts.get(task.state) ?? 0) + 1);
  const parts = ['COMPLETED', 'RUNNING', 'QUEUED', 'PENDING', 'FAILED', 'CANCELLED']
    .filter((state) => (counts.get(state) ?? 0) > 0)
    .map((state) => `${counts.get(state)} ${state.toLowerCase()}`);
  return `[${(elapsedMs / 1000).toFixed(1)} s] ${view.state}: ${parts.join(', ')} (of ${view.tasks.length} tasks)`;
}
