import type { EventEmitter } from 'node:events';
import { encodeAdvertisementTags } from '@wlm/commons/advertisement';
import { AmqpConnection, mergeTopology } from '@wlm/commons/amqp';
import { ConfigError } from '@wlm/commons/errors';
import { taskAssignmentSchema, taskEventRoutingKey, taskEventSchema } from '@wlm/commons/wire';
import type { WorkerAdvertisement } from '@wlm/commons/advertisement';
import type { ConsumerHandle } from '@wlm/commons/amqp';
import type { TaskEvent } from '@wlm/commons/wire';
import { IsolatedTaskRunner, PluginLoader } from '../execution';
import type { LoadedPlugin, PluginLoadResult } from '../execution';
import { Advertiser } from './advertiser';
import { AssignmentHandler } from './assignment-handler';
import type { TaskEventPublisher } from './assignment-handler';
import { ControlListener } from './control-listener';
import { RecentSet } from '@wlm/commons/collections';
import { RecentCancels } from '@wlm/commons/control';
import { RunningTasks } from './running-tasks';
import { SerfPresence } from './serf-presence';
import type { WorkerEvents, WorkerStartInfo } from './worker-events';
import type { CompiledWorkerOptions } from './worker-options';

/** How many finished assignment ids are kept to recognise redeliveries. */
const FINISHED_MEMORY = 10_000;

/** Everything a running worker is made of, in the order it was started. */
export interface WorkerParts {
  readonly amqp: AmqpConnection;
  readonly presence: SerfPresence;
  readonly advertiser: Advertiser;
  readonly runner: IsolatedTaskRunner;
  readonly running: RunningTasks;
  readonly handler: AssignmentHandler;
  readonly control: ControlListener;
  readonly assignments: ConsumerHandle;
  readonly info: WorkerStartInfo;
}

/**
 * Starts the parts of a worker in dependency order: plugins (nothing to advertise without them),
 * AMQP and its queues, Serf with the advertisement set before joining, the runner, the control
 * queue (so cancels are known before work arrives), and last the assignment queue. A step that fails
 * undoes the ones before it, newest first.
 */
export async function startWorkerParts(
  options: CompiledWorkerOptions,
  events: EventEmitter<WorkerEvents>,
  onLoadChange: () => void,
): Promise<WorkerParts> {
  const log = options.logger;
  const { topology, workerId } = options;
  const loaded = await new PluginLoader({
    logger: log,
    taskEnvironment: options.taskEnvironment,
    ...(options.pluginResolvePaths === undefined ? {} : { resolvePaths: options.pluginResolvePaths }),
  }).load(options.plugins);
  const advertisement = initialAdvertisement(options, loaded);
  const undo: Array<() => Promise<void>> = [];
  try {
    const amqp = await AmqpConnection.connect({
      url: options.amqpUrl,
      caFile: options.amqpCaFile,
      ...(options.maxDeliveries === undefined ? {} : { maxDeliveries: options.maxDeliveries }),
      logger: log,
      topology: mergeTopology(topology.core(), topology.worker(workerId)),
      connectionName: `wlm-worker-${workerId}`,
    });
    undo.push(() => amqp.close());
    const presence = await SerfPresence.open(options.serf, workerId, log);
    undo.push(() => presence.abort());
    const advertiser = new Advertiser({
      serf: presence.client,
      advertisement,
      intervalMs: options.advertiseIntervalMs,
      logger: log,
      foreignTags: presence.foreignTags,
      onAdvertised: (ad) => events.emit('advertised', ad),
    });
    // A restarted agent has forgotten our tags.
    presence.client.on('reconnected', () => advertiser.resend());
    await advertiser.flush();
    await presence.join();
    undo.pop();
    undo.push(() => presence.depart(advertiser));
    const runner = new IsolatedTaskRunner({
      logger: log,
      memoryLimitMb: options.taskMemoryLimitMb,
      cancelGraceMs: options.cancelGraceMs,
      maxIdleProcessesPerPlugin: options.slots,
      taskEnvironment: options.taskEnvironment,
      taskSettings: options.taskSettings,
      ...(options.defaultTaskTimeoutMs === undefined
        ? {}
        : { defaultTimeoutMs: options.defaultTaskTimeoutMs }),
    });
    undo.push(() => runner.close());
    const running = new RunningTasks();
    const cancels = new RecentCancels(options.cancelMemoryMs);
    const control = new ControlListener({
      amqp,
      queue: topology.workerControlQueue(workerId),
      cancels,
      running,
      logger: log,
    });
    await control.start();
    undo.push(() => control.stop());
    const handler = new AssignmentHandler({
      workerId,
      plugins: new Map<string, LoadedPlugin>(loaded.plugins.map((plugin) => [plugin.taskType, plugin])),
      runner,
      publish: eventPublisher(amqp, topology.exchanges.events),
      cancels,
      finished: new RecentSet({ capacity: FINISHED_MEMORY }),
      running,
      progressIntervalMs: options.progressIntervalMs,
      runningReportDelayMs: options.runningReportDelayMs,
      events,
      logger: log,
      onLoadChange,
    });
    handler.startAccepting();
    const assignments = await amqp.consume(
      topology.workerQueue(workerId),
      taskAssignmentSchema,
      handler.handle,
      {
        prefetch: options.slots,
      },
    );
    const info: WorkerStartInfo = {
      workerId,
      queue: topology.workerQueue(workerId),
      controlQueue: topology.workerControlQueue(workerId),
      slots: options.slots,
      labels: options.labels,
      taskTypes: advertisement.taskTypes,
      pluginFailures: loaded.failures,
      serf: presence.info,
    };
    return { amqp, presence, advertiser, runner, running, handler, control, assignments, info };
  } catch (error) {
    for (const step of undo.reverse()) {
      await step().catch((cleanupError: unknown) =>
        log.warn({ err: cleanupError }, 'cleanup after a failed start failed'),
      );
    }
    throw error;
  }
}

/**
 * The first advertisement: every slot free. Checked here, before anything connects, so a worker
 * that cannot advertise (no plugin loaded, tags over Serf's limit) fails at once with the reason.
 */
function initialAdvertisement(options: CompiledWorkerOptions, loaded: PluginLoadResult): WorkerAdvertisement {
  if (loaded.plugins.length === 0) {
    const reasons = loaded.failures.map((failure) => `${failure.specifier}: ${failure.reason}`);
    throw new ConfigError(
      'tasks',
      `no task plugin could be loaded, so there is nothing to advertise:\n  ${reasons.join('\n  ')}`,
    );
  }
  const advertisement: WorkerAdvertisement = {
    role: 'worker',
    workerId: options.workerId,
    queue: options.topology.workerQueue(options.workerId),
    slots: options.slots,
    freeSlots: options.slots,
    taskTypes: Object.fromEntries(loaded.plugins.map((plugin) => [plugin.taskType, plugin.version])),
    labels: { ...options.labels },
  };
  // Throws AdvertisementTooLargeError, whose message says what to shorten.
  encodeAdvertisementTags(advertisement);
  return advertisement;
}

function eventPublisher(amqp: AmqpConnection, exchange: string): TaskEventPublisher {
  return (event: TaskEvent, messageId?: string) =>
    amqp.publishMessage(exchange, taskEventRoutingKey(event), taskEventSchema, event, {
      ...(messageId === undefined ? {} : { messageId }),
    });
}
