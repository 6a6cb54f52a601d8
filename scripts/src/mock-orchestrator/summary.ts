import type { DagDriver, DriverCounts, FailureRecord } from './dag-driver';
import type { LatencySummary, PriorityLatency } from './latency-stats';

/** How a run ended: every DAG settled, the time limit, or a signal. */
export type RunEnding = 'finished' | 'timeout' | 'interrupted';

/** `completed` only when every DAG completed; anything else makes the command exit non-zero. */
export type RunOutcome = 'completed' | 'failed' | 'timed-out' | 'interrupted';

export interface LatencyReport {
  readonly overall: LatencySummary;
  /** Highest priority first. */
  readonly byPriority: readonly PriorityLatency[];
}

/** The summary `wlm mock-orchestrator --json` prints as its last line. */
export interface RunSummary extends DriverCounts {
  readonly runId: string;
  readonly namespace: string;
  readonly shape: string;
  readonly outcome: RunOutcome;
  readonly ok: boolean;
  /** From the first publish to the end of the run. */
  readonly elapsedMs: number;
  /** Completed tasks per second of `elapsedMs`. */
  readonly tasksPerSecond: number;
  readonly latency: {
    /** From publishing a task's TaskRequest to receiving its COMPLETED. */
    readonly publishToCompleted: LatencyReport;
    /**
     * From publishing to the start of its first run (its RUNNING's `at`, or the `startedAt` of the
     * event that ended a run too short to send one): the orchestration overhead.
     */
    readonly publishToRunning: LatencyReport;
  };
  readonly failures: readonly FailureRecord[];
}

export interface SummaryInput {
  readonly runId: string;
  readonly namespace: string;
  readonly shape: string;
  readonly driver: DagDriver;
  readonly elapsedMs: number;
  readonly ending: RunEnding;
}

function outcomeOf(ending: RunEnding, counts: DriverCounts): RunOutcome {
  if (ending === 'timeout') return 'timed-out';
  if (ending === 'interrupted') return 'interrupted';
  return counts.failed > 0 || counts.dagsFailed > 0 ? 'failed' : 'completed';
}

export function buildSummary(input: SummaryInput): RunSummary {
  const counts = input.driver.counts();
  const outcome = outcomeOf(input.ending, counts);
  const seconds = input.elapsedMs / 1000;
  return {
    runId: input.runId,
    namespace: input.namespace,
    shape: input.shape,
    outcome,
    ok: outcome === 'completed',
    ...counts,
    elapsedMs: Math.round(input.elapsedMs),
    tasksPerSecond: seconds > 0 ? Math.round((counts.completed / seconds) * 10) / 10 : 0,
    latency: {
      publishToCompleted: {
        overall: input.driver.completionLatency.overall(),
        byPriority: input.driver.completionLatency.byPriority(),
      },
      publishToRunning: {
        overall: input.driver.startLatency.overall(),
        byPriority: input.driver.startLatency.byPriority(),
      },
    },
    failures: input.driver.failures(),
  };
}

const ms = (value: number | null): string => (value === null ? '-' : value.toFixed(1));

function latencyTable(title: string, report: LatencyReport): string[] {
  if (report.overall.count === 0) return [`${title}: no samples`];
  const row = (label: string, l: LatencySummary): string =>
    `    ${label.padStart(8)} ${String(l.count).padStart(8)} ${ms(l.p50Ms).padStart(9)} ${ms(l.p99Ms).padStart(9)} ${ms(l.maxMs).padStart(9)}`;
  return [
    `${title} (ms)`,
    `    ${'priority'.padStart(8)} ${'count'.padStart(8)} ${'p50'.padStart(9)} ${'p99'.padStart(9)} ${'max'.padStart(9)}`,
    ...report.byPriority.map((l) => row(String(l.priority), l)),
    ...(report.byPriority.length > 1 ? [row('all', report.overall)] : []),
  ];
}

/** The summary for people, one line per element. */
export function formatSummary(summary: RunSummary): string[] {
  const lines = [
    `mock-orchestrator run ${summary.runId} (namespace ${summary.namespace}, ${summary.shape}): ${summary.outcome}`,
    `  dags     ${summary.dags}: ${summary.dagsCompleted} completed, ${summary.dagsFailed} failed`,
    `  tasks    ${summary.tasks}: ${summary.completed} completed, ${summary.failed} failed, ` +
      `${summary.retried} retried, ${summary.skipped} skipped, ${summary.inFlight} in flight`,
    `  elapsed  ${(summary.elapsedMs / 1000).toFixed(2)} s, ${summary.tasksPerSecond} tasks/s`,
    ...latencyTable('  publish -> COMPLETED', summary.latency.publishToCompleted),
    ...latencyTable('  publish -> RUNNING', summary.latency.publishToRunning),
  ];
  if (summary.duplicateEvents > 0 || summary.ignoredEvents > 0) {
    lines.push(
      `  events   ${summary.duplicateEvents} duplicates, ${summary.ignoredEvents} of other runs ignored`,
    );
  }
  if (summary.failures.length > 0) {
    lines.push(`  failures (first ${summary.failures.length} of ${summary.failed}):`);
    for (const f of summary.failures) {
      const code = f.errorCode === undefined ? '' : ` [${f.errorCode}]`;
      lines.push(`    ${f.experimentId} ${f.taskId} attempt ${f.attempt}${code}: ${f.reason}`);
    }
  }
  return lines;
}
