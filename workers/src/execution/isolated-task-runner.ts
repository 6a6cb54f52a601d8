import { inheritedEnvironment } from '@wlm/commons/plugin';
import type { Logger } from '@wlm/commons/logging';
import { TASK_FAILURE_CODES } from './failure-codes';
import { resolveChildEntry } from './child-entry';
import { NO_TASK_SETTINGS } from './ipc-messages';
import type { TaskSettings } from './ipc-messages';
import { runInProcess } from './run-in-process';
import type { TaskProgress } from './run-in-process';
import { outcomeOfExit } from './task-outcome';
import type { TaskOutcome, TaskOutputs } from './task-outcome';
import type { TaskProcess } from './task-process';
import { TaskProcessPool } from './task-process-pool';

export interface IsolatedTaskRunnerOptions {
  logger: Logger;
  /** V8 heap cap of each task process, in MB (`--max-old-space-size`). Default 512. */
  memoryLimitMb?: number;
  /** Timeout of a task that names none. Default: none. */
  defaultTimeoutMs?: number;
  /** How long a cancelled or timed-out task gets to stop before its process is killed. Default 5000. */
  cancelGraceMs?: number;
  /**
   * Tasks a process serves before it is replaced (against leaks outside the V8 heap: handles,
   * native memory); 1 forks a process per task. Default 10000: a fork costs far more than a task.
   */
  maxTasksPerProcess?: number;
  /** Warm processes kept per plugin, ideally the worker's slot count. Default 2. */
  maxIdleProcessesPerPlugin?: number;
  /** Idle processes exit after this long. Default 30000. */
  idleProcessTimeoutMs?: number;
  /** Extra node flags for task processes. */
  execArgv?: readonly string[];
  /**
   * The whole environment of task processes. Default: the inherited variables of this process
   * (`inheritedEnvironment`: PATH, HOME, LANG, …), never its credentials.
   */
  taskEnvironment?: Readonly<Record<string, string>>;
  /**
   * What tasks see of the worker's config: its compute resources and the directories of its disk
   * they may use, handed to each task's context. Default: none of either.
   */
  taskSettings?: TaskSettings;
  /** The compiled child entry; defaults to the one built beside this module. */
  childEntry?: string;
}

const SHUT_DOWN: TaskOutcome = {
  status: 'failed',
  code: 'SHUTTING_DOWN',
  retryable: true,
  reason: 'the worker shut down while the task ran',
};

/** Which plugin runs the task: a {@link LoadedPlugin} from the {@link PluginLoader} fits. */
export interface PluginRef {
  taskType: string;
  /** Absolute path of the plugin module. */
  modulePath: string;
}

export interface TaskRunRequest {
  plugin: PluginRef;
  experimentId: string;
  taskId: string;
  /** 1 for the first run of the task. */
  attempt: number;
  /** The experiment's run (1, then one more per rerun). */
  run: number;
  /** The previous round's checkpoint, for a task that runs in rounds. */
  checkpoint?: TaskOutputs;
  /**
   * `cancel` calls the plugin's `cancel` (releasing what the checkpoint holds) instead of `run`;
   * it completes with `null` outputs. Default `run`.
   */
  purpose?: 'run' | 'cancel';
  /** Validated against the plugin's input schema in the task process, before `run`. */
  params: unknown;
  workDir?: string;
  /** Overrides the runner's default timeout. */
  timeoutMs?: number;
  onProgress?: (progress: TaskProgress) => void;
  /** Each line the task logs or prints (its pino lines, its raw stdout and stderr), formatted. */
  onLogLine?: (line: string) => void;
}

/**
 * Runs tasks in child processes so that nothing a plugin does — throw, hang, `process.exit`, leak
 * memory — reaches the worker. Every run resolves to a {@link TaskOutcome}; `run` never rejects.
 *
 * @example
 * ```ts
 * const runner = new IsolatedTaskRunner({ logger, memoryLimitMb: 256 });
 * const outcome = await runner.run(
 *   { plugin, experimentId: 'exp-1', taskId: 'a', attempt: 1, params: { message: 'hi' }, timeoutMs: 60_000 },
 *   cancelSignal,
 * );
 * if (outcome.status === 'failed' && outcome.retryable) scheduleRetry(outcome.reason);
 * await runner.close();
 * ```
 */
export class IsolatedTaskRunner {
  private readonly pool: TaskProcessPool;
  private readonly memoryLimitMb: number;
  private closing: Promise<void> | undefined;

  constructor(private readonly options: IsolatedTaskRunnerOptions) {
    this.memoryLimitMb = options.memoryLimitMb ?? 512;
    const maxTasksPerProcess = options.maxTasksPerProcess ?? 10_000;
    this.pool = new TaskProcessPool({
      entry: options.childEntry ?? resolveChildEntry(),
      memoryLimitMb: this.memoryLimitMb,
      execArgv: options.execArgv ?? [],
      env: options.taskEnvironment ?? inheritedEnvironment(),
      maxTasksPerProcess,
      maxIdlePerPlugin: maxTasksPerProcess <= 1 ? 0 : (options.maxIdleProcessesPerPlugin ?? 2),
      idleTimeoutMs: options.idleProcessTimeoutMs ?? 30_000,
      // Half the cap: a process that kept that much after a task is likely leaking.
      recycleHeapBytes: (this.memoryLimitMb * 1024 * 1024) / 2,
      logger: options.logger,
    });
  }

  /** Runs one task; resolves with how it ended. */
  async run(request: TaskRunRequest, signal?: AbortSignal): Promise<TaskOutcome> {
    if (this.closing !== undefined) return SHUT_DOWN;
    if (signal?.aborted === true) return { status: 'cancelled', reason: 'cancelled before it started' };
    const { plugin } = request;
    const logger = this.options.logger.child({
      experimentId: request.experimentId,
      taskId: request.taskId,
      attempt: request.attempt,
      taskType: plugin.taskType,
    });
    let proc: TaskProcess;
    try {
      proc = this.pool.acquire(plugin.modulePath);
    } catch (error) {
      // fork() throws synchronously on some resource errors; run() reports, it does not reject.
      logger.error({ err: error }, 'could not start a task process');
      return outcomeOfExit({ code: null, signal: null, error: asError(error) }, '', this.memoryLimitMb);
    }
    const result = await runInProcess(
      proc,
      {
        type: 'start',
        purpose: request.purpose ?? 'run',
        modulePath: plugin.modulePath,
        taskType: plugin.taskType,
        params: request.params,
        experimentId: request.experimentId,
        taskId: request.taskId,
        attempt: request.attempt,
        run: request.run,
        ...(request.checkpoint === undefined ? {} : { checkpoint: request.checkpoint }),
        ...(request.workDir === undefined ? {} : { workDir: request.workDir }),
        logLevel: taskLogLevel(logger),
        settings: this.options.taskSettings ?? NO_TASK_SETTINGS,
      },
      {
        timeoutMs: request.timeoutMs ?? this.options.defaultTimeoutMs,
        cancelGraceMs: this.options.cancelGraceMs ?? 5000,
        memoryLimitMb: this.memoryLimitMb,
        signal,
        logger,
        onProgress: request.onProgress,
        onLogLine: request.onLogLine,
      },
    );
    this.pool.release(
      plugin.modulePath,
      proc,
      result.reusable && this.closing === undefined,
      result.heapUsedBytes,
    );
    logger.debug({ status: result.outcome.status, pid: proc.pid }, 'task process run ended');
    // close() killed the process: say so rather than blame an outside signal.
    const killedByClose =
      this.closing !== undefined &&
      result.outcome.status === 'failed' &&
      result.outcome.code === TASK_FAILURE_CODES.PROCESS_EXITED;
    return killedByClose ? SHUT_DOWN : result.outcome;
  }

  /** Kills every task process, busy ones included (their runs end as failed); idempotent. */
  close(): Promise<void> {
    this.closing ??= this.pool.close();
    return this.closing;
  }
}

/**
 * The task logs at least at info, whatever the worker's own level: its info lines make the log tail
 * shipped with its events, and the worker's logger still drops them from its own output.
 */
function taskLogLevel(logger: Logger): string {
  const info = logger.levels.values['info'] ?? 30;
  return (logger.levels.values[logger.level] ?? info) <= info ? logger.level : 'info';
}

function asError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}
