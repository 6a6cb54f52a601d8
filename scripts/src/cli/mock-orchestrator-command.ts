import { Command, InvalidArgumentError, Option } from 'commander';
import { WlmTopology } from '@wlm/commons/amqp';
import { loadConfig } from '@wlm/commons/config';
import { createLogger } from '@wlm/commons/logging';
import type { LoggerOptions } from '@wlm/commons/logging';
import { DAG_SHAPES, MAX_TASKS_PER_DAG } from '../mock-orchestrator/dag-generator';
import type { DagShape } from '../mock-orchestrator/dag-generator';
import { runMockOrchestrator } from '../mock-orchestrator/mock-orchestrator';
import { formatProgressLine } from '../mock-orchestrator/progress';
import type { ProgressSnapshot } from '../mock-orchestrator/progress';
import { PRIORITY_MIX, RETRY_BACKOFF_MS } from '../mock-orchestrator/run-plan';
import { formatSummary } from '../mock-orchestrator/summary';
import type { RunOutcome } from '../mock-orchestrator/summary';

/** Exit status per outcome, so a script can tell a failed task from a run that never finished. */
const EXIT_CODES: Readonly<Record<RunOutcome, number>> = {
  completed: 0,
  failed: 1,
  'timed-out': 2,
  interrupted: 130,
};

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

function integer(name: string, min: number, max: number): (value: string) => number {
  return (value: string) => {
    const parsed = Number(value);
    if (!/^\d+$/.test(value.trim()) || parsed < min || parsed > max) {
      throw new InvalidArgumentError(`${name} must be a whole number from ${min} to ${max}`);
    }
    return parsed;
  };
}

function namespace(value: string): string {
  try {
    return new WlmTopology(value).namespace;
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
}

interface MockOrchestratorCliOptions {
  dags: number;
  shape: DagShape;
  tasksPerDag: number;
  sleepMs: number;
  failTimes: number;
  maxAttempts?: number;
  priority: number;
  priorityMix?: boolean;
  seed: number;
  namespace: string;
  timeoutS: number;
  logLevel: NonNullable<LoggerOptions['level']>;
  json?: boolean;
}

/**
 * Progress on stderr (stdout is kept for the summary): one line rewritten in place on a terminal, a
 * line per second otherwise (CI logs, pipes).
 */
function progressRenderer(): { show: (snapshot: ProgressSnapshot) => void; clear: () => void } {
  const tty = process.stderr.isTTY === true;
  let shown = false;
  return {
    show: (snapshot) => {
      const line = formatProgressLine(snapshot);
      if (tty) {
        process.stderr.write(`\r\x1b[K${line}`);
        shown = true;
      } else console.error(line);
    },
    clear: () => {
      if (shown) process.stderr.write('\r\x1b[K');
      shown = false;
    },
  };
}

export function mockOrchestratorCommand(): Command {
  return new Command('mock-orchestrator')
    .description(
      'drive the scheduler and workers end to end with generated DAGs of echo tasks, without Neo4j or MySQL',
    )
    .addOption(
      new Option('--dags <n>', 'DAGs (experiments) to run')
        .argParser(integer('--dags', 1, 100_000))
        .default(100),
    )
    .addOption(
      new Option('--shape <shape>', 'DAG shape: chain, fan-out/fan-in, or seeded random')
        .choices(DAG_SHAPES)
        .default('chain'),
    )
    .addOption(
      new Option('--tasks-per-dag <n>', 'tasks in each DAG')
        .argParser(integer('--tasks-per-dag', 1, MAX_TASKS_PER_DAG))
        .default(5),
    )
    .addOption(
      new Option('--sleep-ms <ms>', 'each echo task waits this long')
        .argParser(integer('--sleep-ms', 0, 3_600_000))
        .default(0),
    )
    .addOption(
      new Option('--fail-times <n>', "each task's first N attempts fail as retryable")
        .argParser(integer('--fail-times', 0, 99))
        .default(0),
    )
    .addOption(
      new Option(
        '--max-attempts <n>',
        `attempts per task, ${RETRY_BACKOFF_MS} ms backoff (default: fail-times + 1 with --fail-times, else the scheduler's)`,
      ).argParser(integer('--max-attempts', 1, 100)),
    )
    .addOption(
      new Option('--priority <p>', 'priority of every DAG (0-9)')
        .argParser(integer('--priority', 0, 9))
        .default(5),
    )
    .option('--priority-mix', `spread the DAGs evenly over priorities ${PRIORITY_MIX.join(', ')}`)
    .addOption(
      new Option('--seed <n>', 'seed of the random shape')
        .argParser(integer('--seed', 0, 2 ** 32 - 1))
        .default(1),
    )
    .addOption(
      new Option('--namespace <ns>', 'AMQP namespace of the wlm installation')
        .argParser(namespace)
        .default('wlm'),
    )
    .addOption(
      new Option('--timeout-s <s>', 'give up after this many seconds')
        .argParser(integer('--timeout-s', 1, 86_400))
        .default(300),
    )
    .addOption(
      new Option('--log-level <level>', 'log level of the AMQP connection (stderr)')
        .choices(LOG_LEVELS)
        .default('warn'),
    )
    .option('--json', 'print the summary as one JSON object on the last line of stdout')
    .addHelpText(
      'after',
      '\nNeeds RabbitMQ, `wlm scheduler` and a `wlm worker --tasks echo` on the same namespace.\n' +
        'Progress goes to stderr every second. Exit status: 0 every DAG completed, 1 a task failed for\n' +
        'good, 2 timed out, 130 interrupted (Ctrl-C; a second Ctrl-C kills at once).\n' +
        'Latencies run from publishing a TaskRequest to its COMPLETED, and to the worker starting it.',
    )
    .action(async (options: MockOrchestratorCliOptions) => {
      const config = loadConfig();
      const logger = createLogger({ component: 'mock-orchestrator', level: options.logLevel });
      const progress = progressRenderer();
      const interrupt = new AbortController();
      // once: a second Ctrl-C gets Node's default handling and ends the process at once.
      process.once('SIGINT', () => interrupt.abort());
      process.once('SIGTERM', () => interrupt.abort());
      const summary = await runMockOrchestrator({
        url: config.rabbitmq.url,
        caFile: config.rabbitmq.caFile,
        logger,
        namespace: options.namespace,
        dags: options.dags,
        shape: options.shape,
        tasksPerDag: options.tasksPerDag,
        seed: options.seed,
        sleepMs: options.sleepMs,
        failTimes: options.failTimes,
        ...(options.maxAttempts === undefined ? {} : { maxAttempts: options.maxAttempts }),
        priority: options.priority,
        priorityMix: options.priorityMix === true,
        timeoutMs: options.timeoutS * 1000,
        signal: interrupt.signal,
        onProgress: progress.show,
        onNotice: (message) => {
          progress.clear();
          console.error(`mock-orchestrator: ${message}`);
        },
      });
      progress.clear();
      if (options.json) console.log(JSON.stringify(summary));
      else for (const line of formatSummary(summary)) console.log(line);
      process.exitCode = EXIT_CODES[summary.outcome];
    });
}
