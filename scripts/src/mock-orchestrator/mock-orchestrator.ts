import { randomBytes } from 'node:crypto';
import { AmqpConnection, WlmTopology } from '@wlm/commons/amqp';
import { taskEventSchema, taskRequestSchema } from '@wlm/commons/wire';
import type { Logger } from '@wlm/commons/logging';
import type { TaskEvent } from '@wlm/commons/wire';
import { DagDriver } from './dag-driver';
import type { TaskDispatch } from './dag-driver';
import { mockOrchestratorTopology } from './mock-topology';
import { ProgressMeter } from './progress';
import type { ProgressSnapshot } from './progress';
import { planRun } from './run-plan';
import type { RunPlanOptions } from './run-plan';
import { buildSummary } from './summary';
import type { RunEnding, RunSummary } from './summary';
import { requestMessageId, toTaskRequest } from './task-request';

export interface MockOrchestratorOptions extends Omit<RunPlanOptions, 'runId'> {
  /** RabbitMQ, e.g. `config.rabbitmq.url`. */
  readonly url: string;
  /** PEM file of the CA that signed the broker's certificate (`rabbitmq.caFile`), for amqps://. */
  readonly caFile?: string | undefined;
  readonly logger: Logger;
  /** The wlm installation to drive; default `wlm`. */
  readonly namespace?: string;
  /** The run ends as `timed-out` after this long. */
  readonly timeoutMs: number;
  /** Unacked events at once on the harness's queue. Default 500: its handler only does bookkeeping. */
  readonly prefetch?: number;
  /** Aborting ends the run as `interrupted` (the summary still comes). */
  readonly signal?: AbortSignal;
  readonly onProgress?: (snapshot: ProgressSnapshot) => void;
  /** Default 1000. */
  readonly progressIntervalMs?: number;
  /** Hints for the person running it, e.g. that no scheduler consumes the requests. */
  readonly onNotice?: (message: string) => void;
  /** Default: the process id and random characters. */
  readonly runId?: string;
}

/** With no event at all after this long, something is not running; say so once. */
const SILENCE_NOTICE_MS = 10_000;

/**
 * Drives the scheduler and workers end to end the way the orchestrator would, without Neo4j or MySQL:
 * generates DAGs of `echo` tasks, publishes a TaskRequest for each ready task, follows the task events
 * and dispatches dependents on completion, until every DAG has completed or failed, the time runs out
 * or `signal` aborts. The run's queue is deleted at the end.
 *
 * @example
 * ```ts
 * const summary = await runMockOrchestrator({
 *   url: config.rabbitmq.url, logger, dags: 100, shape: 'chain', tasksPerDag: 5, seed: 1, sleepMs: 0,
 *   failTimes: 0, priority: 5, priorityMix: false, timeoutMs: 60_000,
 * });
 * summary.ok; // every DAG completed
 * ```
 */
export async function runMockOrchestrator(options: MockOrchestratorOptions): Promise<RunSummary> {
  const runId = options.runId ?? `${process.pid}-${randomBytes(3).toString('hex')}`;
  const namespace = options.namespace ?? 'wlm';
  const log = options.logger.child({ module: 'mock-orchestrator', runId });
  const driver = new DagDriver(planRun({ ...options, runId }));
  const topology = new WlmTopology(namespace);
  const { spec, eventsQueue } = mockOrchestratorTopology(topology, runId);
  const requestsQueue = topology.queues.schedulerRequests;
  const amqp = await AmqpConnection.connect({
    url: options.url,
    caFile: options.caFile,
    logger: log,
    topology: spec,
    connectionName: `wlm-mock-orchestrator-${runId}`,
    // A harness should not hang for half a minute on a broker that went away at the end.
    closeTimeoutMs: 5_000,
  });

  let ended = false;
  let endRun: (ending: RunEnding) => void = () => undefined;
  const ending = new Promise<RunEnding>((resolve) => {
    endRun = (how) => {
      ended = true;
      resolve(how);
    };
  });
  const settleIfFinished = (): void => {
    if (!ended && driver.finished) endRun('finished');
  };

  const publish = (dispatches: readonly TaskDispatch[]): void => {
    const requestedAt = new Date();
    for (const dispatch of dispatches) {
      // Not awaited: confirms are pipelined, a round trip per task would cap the run near 1,000/s.
      amqp
        .publishMessage('', requestsQueue, taskRequestSchema, toTaskRequest(dispatch, requestedAt), {
          priority: dispatch.priority,
          messageId: requestMessageId(dispatch),
        })
        .catch((error: unknown) => {
          if (ended) return;
          log.warn(
            { err: error, experimentId: dispatch.experimentId, taskId: dispatch.taskId },
            'publish failed',
          );
          driver.onPublishFailed(dispatch.experimentId, dispatch.taskId, errorText(error));
          settleIfFinished();
        });
    }
  };

  let eventsReceived = 0;
  const onEvent = (event: TaskEvent): void => {
    eventsReceived += 1;
    if (ended) return; // acked and forgotten: the summary is being written
    publish(driver.onEvent(event, Date.now()).dispatch);
    settleIfFinished();
  };

  let progressTimer: NodeJS.Timeout | undefined;
  let timeoutTimer: NodeJS.Timeout | undefined;
  const onAbort = (): void => endRun('interrupted');
  let startedAt = Date.now();
  try {
    await noticeMissingScheduler(amqp, requestsQueue, namespace, options.onNotice);
    const consumer = await amqp.consume(eventsQueue, taskEventSchema, onEvent, {
      prefetch: options.prefetch ?? 500,
    });
    startedAt = Date.now();
    publish(driver.start(startedAt));
    log.info({ dags: options.dags, tasks: driver.counts().tasks, eventsQueue }, 'mock orchestrator started');

    const meter = new ProgressMeter(startedAt);
    let silenceNoticed = false;
    progressTimer = setInterval(() => {
      const now = Date.now();
      options.onProgress?.(meter.sample(driver.counts(), now));
      if (!silenceNoticed && eventsReceived === 0 && now - startedAt >= SILENCE_NOTICE_MS) {
        silenceNoticed = true;
        options.onNotice?.(
          `no task event after ${SILENCE_NOTICE_MS / 1000} s: are \`wlm scheduler\` and a ` +
            `\`wlm worker --tasks echo\` running on namespace ${namespace}?`,
        );
      }
    }, options.progressIntervalMs ?? 1000);
    timeoutTimer = setTimeout(() => endRun('timeout'), options.timeoutMs);
    if (options.signal?.aborted === true) onAbort();
    options.signal?.addEventListener('abort', onAbort, { once: true });

    const how = await ending;
    const elapsedMs = Date.now() - startedAt;
    await consumer.cancel();
    return buildSummary({ runId, namespace, shape: options.shape, driver, elapsedMs, ending: how });
  } finally {
    ended = true;
    clearInterval(progressTimer);
    clearTimeout(timeoutTimer);
    options.signal?.removeEventListener('abort', onAbort);
    await amqp
      .withChannel((channel) => channel.deleteQueue(eventsQueue))
      .catch((error: unknown) =>
        log.warn({ err: error, eventsQueue }, 'cannot delete the run queue; it expires'),
      );
    await amqp.close();
  }
}

/** Requests wait in the queue until a scheduler starts: worth a word, not a failure. */
async function noticeMissingScheduler(
  amqp: AmqpConnection,
  queue: string,
  namespace: string,
  onNotice: ((message: string) => void) | undefined,
): Promise<void> {
  if (onNotice === undefined) return;
  const { consumerCount } = await amqp.withChannel((channel) => channel.checkQueue(queue));
  if (consumerCount === 0) {
    onNotice(
      `nothing consumes ${queue} yet: start \`wlm scheduler\` (namespace ${namespace}); ` +
        'requests wait in the queue until then',
    );
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
