import { EventEmitter } from 'node:events';
import { AmqpConnection, WlmTopology } from '@wlm/commons/amqp';
import { RecentCancels } from '@wlm/commons/control';
import { withRetry } from '@wlm/commons/errors';
import { ServiceLifecycle } from '@wlm/commons/lifecycle';
import { connectionProbe } from '@wlm/commons/metrics';
import { SerfRpcClient } from '@wlm/commons/serf';
import type { CloseStep, ServiceLifecycleView, ServiceState } from '@wlm/commons/lifecycle';
import type { Logger } from '@wlm/commons/logging';
import type { DependencyProbe } from '@wlm/commons/metrics';
import { AdminMailer, IncidentMailer, IncidentReporter, TypeWaitMailer } from '../alerts';
import { PlacementFence } from '../fence';
import { WorkerDirectory, WorkerRegistry } from '../registry';
import { AssignmentPublisher } from './assignment-publisher';
import { CancelHandler } from './cancel-handler';
import { ConsumerWatch } from './consumer-watch';
import { RequestDispatcher } from './request-dispatcher';
import { RequestRouter } from './request-router';
import type { DispatcherStatus } from './request-dispatcher';
import { compileSchedulerOptions } from './scheduler-options';
import type { CompiledSchedulerOptions, SchedulerServiceOptions } from './scheduler-options';
import { SchedulerMessages } from './scheduler-messages';
import type { SchedulerServiceEvents } from './service-events';
import { TaskEventHandler } from './task-event-handler';
import { TimerHandler } from './timer-handler';
import { TypeWaits } from './type-waits';
import { WorkerFailureHandler } from './worker-failure-handler';
import { WorkerQueueDrainer } from './worker-queue-drainer';

/** What {@link SchedulerService.status} reports. */
export interface SchedulerStatus {
  readonly state: ServiceState;
  readonly instanceId: string;
  readonly namespace: string;
  /** Alive workers of this installation. */
  readonly workers: number;
  /** Alive workers that advertise each task type (a worker counts once per type it runs). */
  readonly workersByType: Readonly<Record<string, number>>;
  /** The backlog: held requests, how long the oldest has waited, and more. */
  readonly requests: DispatcherStatus;
  /** Task types whose requests wait for a live worker that runs them, and for how long (ms), as seen here. */
  readonly waitingTypes: Readonly<Record<string, number>>;
  /** Lost workers whose queues are still watched for assignments coming back. */
  readonly watchedLostWorkers: number;
}

/** The parts of a running service, present once `start` got that far. */
interface Parts {
  amqp?: AmqpConnection;
  fence?: PlacementFence;
  serf?: SerfRpcClient;
  registry?: WorkerRegistry;
  directory?: WorkerDirectory;
  dispatcher?: RequestDispatcher;
  router?: RequestRouter;
  timers?: TimerHandler;
  typeWaits?: TypeWaits;
  typeWaitMailer?: TypeWaitMailer;
  taskEvents?: TaskEventHandler;
  cancels?: CancelHandler;
  failures?: WorkerFailureHandler;
  consumerWatch?: ConsumerWatch;
  incidentMailer?: IncidentMailer;
  adminMailer?: AdminMailer;
}

/**
 * The scheduler: places TaskRequests on live workers (from Serf), each attempt once (a placement
 * fence in MySQL), retries retryable failures on
 * other workers, moves a lost worker's work elsewhere and mails the admin about it. Several
 * instances may run at once: they compete for requests, and exactly one of them mails.
 *
 * Its life is the {@link ServiceLifecycle} of every wlm service: `starting` → `running` → `draining`
 * → `stopped`, or `failed` when it cannot start or loses its Serf agent for good. {@link close}
 * drains: it stops taking requests, hands the held ones back to the queue, lets running handlers
 * finish and closes the connections; it is idempotent.
 *
 * @example
 * ```ts
 * const scheduler = await SchedulerService.start({ config: loadConfig(), logger });
 * scheduler.on('worker:failed', (worker) => logger.warn({ workerId: worker.workerId }, 'lost'));
 * process.once('SIGTERM', () => void scheduler.close());
 * ```
 */
export class SchedulerService extends EventEmitter<SchedulerServiceEvents> {
  private readonly parts: Parts = {};
  /** The namespace's queues and exchanges. */
  readonly topology: WlmTopology;
  private readonly log: Logger;
  private readonly machine: ServiceLifecycle;

  private constructor(private readonly options: CompiledSchedulerOptions) {
    super();
    this.topology = new WlmTopology(options.namespace);
    // Every line of every part names the instance: several may log side by side.
    this.log = options.logger.child({ instanceId: options.instanceId });
    this.machine = new ServiceLifecycle({
      name: 'scheduler',
      logger: this.log,
      closeSteps: () => this.closeSteps(),
    });
    this.machine.on('state', (state, previous) => this.emit('state', state, previous));
  }

  /**
   * Connects to RabbitMQ and the Serf agent, reads the membership and starts consuming.
   *
   * @throws AmqpUnavailableError or SerfUnavailableError when a server stays unreachable; the
   *   service is then `failed` and everything it opened is closed again.
   */
  static async start(options: SchedulerServiceOptions): Promise<SchedulerService> {
    const service = new SchedulerService(compileSchedulerOptions(options));
    await service.machine.start(() => service.open());
    return service;
  }

  get state(): ServiceState {
    return this.machine.state;
  }

  /** Its lifecycle: the state, and a promise of how it ended (what `runService` waits for). */
  get lifecycle(): ServiceLifecycleView {
    return this.machine;
  }

  get instanceId(): string {
    return this.options.instanceId;
  }

  /** The broker connection, for metrics; available once started. */
  get connection(): AmqpConnection {
    const { amqp } = this.parts;
    if (amqp === undefined) throw new Error('the scheduler has not started');
    return amqp;
  }

  /** What `/readyz` checks: the broker connection and the Serf agent's RPC connection are up. */
  dependencyProbes(): DependencyProbe[] {
    return [
      connectionProbe('rabbitmq', 'AMQP', () => this.parts.amqp?.state),
      connectionProbe('serf', 'Serf RPC', () => this.parts.serf?.state),
    ];
  }

  status(): SchedulerStatus {
    const { registry, dispatcher, failures, typeWaits } = this.parts;
    const types = registry === undefined ? [] : [...registry.capacity.taskTypes()];
    return {
      state: this.state,
      instanceId: this.options.instanceId,
      namespace: this.options.namespace,
      workers: registry?.alive().length ?? 0,
      workersByType: Object.fromEntries(types.map((type) => [type, registry?.capacity.countFor(type) ?? 0])),
      requests: dispatcher?.status() ?? {
        held: 0,
        deferred: 0,
        sending: 0,
        oldestWaitMs: 0,
        placed: 0,
        consumedTypes: [],
      },
      waitingTypes: Object.fromEntries(typeWaits?.waiting() ?? []),
      watchedLostWorkers: failures?.watching ?? 0,
    };
  }

  /** Drains and stops; every call returns the same promise. */
  close(): Promise<void> {
    return this.machine.close();
  }

  /** Opens the connections, then the parts in order; what opened is closed again when a step fails. */
  private async open(): Promise<void> {
    const { config, instanceId } = this.options;
    const logger = this.log;
    const parts = this.parts;
    parts.amqp = await AmqpConnection.connect({
      url: config.rabbitmq.url,
      caFile: config.rabbitmq.caFile,
      maxDeliveries: config.rabbitmq.maxDeliveries,
      logger,
      topology: this.topology.core(),
      connectionName: `wlm-scheduler-${instanceId}`,
      closeTimeoutMs: this.options.closeTimeoutMs,
    });
    // The agent may still be starting beside us; its client does not retry the first connect itself.
    parts.serf = await withRetry(
      () =>
        SerfRpcClient.connect({
          addr: config.serf.rpcAddr,
          ...(config.serf.rpcAuthKey === undefined ? {} : { authKey: config.serf.rpcAuthKey }),
          logger,
        }),
      { maxAttempts: 6, maxDelayMs: 2_000 },
    );
    parts.serf.on('reconnect-failed', (error) => this.onFatal('lost the Serf agent for good', error));
    parts.fence = await PlacementFence.open({
      url: config.mysql.url,
      namespace: this.options.namespace,
      logger,
    });
    parts.directory = await WorkerDirectory.open({
      url: config.mysql.url,
      namespace: this.options.namespace,
      reporter: instanceId,
      logger,
    });
    this.assemble(parts.amqp, parts.serf, parts.fence);
    if (parts.registry !== undefined) parts.directory.follow(parts.registry);
    await this.startParts();
    this.log.info({ namespace: this.options.namespace, serf: config.serf.rpcAddr }, 'scheduler running');
  }

  private assemble(amqp: AmqpConnection, serf: SerfRpcClient, fence: PlacementFence): void {
    const { instanceId } = this.options;
    const logger = this.log;
    const topology = this.topology;
    const parts = this.parts;
    const registry = new WorkerRegistry({
      serf,
      topology,
      logger,
      ledger: this.options.reservations,
      failurePollMs: this.options.failurePollMs,
    });
    registry.on('worker:joined', (worker) => this.emit('worker:joined', worker));
    registry.on('worker:failed', (worker, info) => this.emit('worker:failed', worker, info));
    registry.on('worker:left', (worker) => this.emit('worker:left', worker));
    registry.on('worker:unreachable', (worker) => this.emit('worker:unreachable', worker));
    registry.on('worker:reachable', (worker) => this.emit('worker:reachable', worker));
    registry.on('worker:recovered', (worker, info) => this.emit('worker:recovered', worker, info));
    const messages = new SchedulerMessages(amqp, topology);
    const events = this as EventEmitter<SchedulerServiceEvents>;
    parts.registry = registry;
    const served = (taskType: string): boolean => registry.capacity.countFor(taskType) > 0;
    const typeWaits = new TypeWaits({
      messages,
      served,
      alertAfterMs: this.options.typeWaitAlertMs,
      logger,
    });
    registry.on('capacity', () => typeWaits.refresh());
    registry.on('worker:joined', () => typeWaits.refresh());
    registry.on('worker:updated', () => typeWaits.refresh());
    registry.on('worker:reachable', () => typeWaits.refresh());
    registry.on('worker:recovered', () => typeWaits.refresh());
    parts.typeWaits = typeWaits;
    parts.router = new RequestRouter({
      amqp,
      topology,
      messages,
      typeWaits,
      served,
      events,
      logger,
      prefetch: this.options.routePrefetch,
    });
    const router = parts.router;
    parts.dispatcher = new RequestDispatcher({
      amqp,
      topology,
      registry,
      publisher: new AssignmentPublisher(amqp, topology, fence, logger),
      messages,
      cancels: new RecentCancels(this.options.cancelTtlMs, 100_000),
      events,
      typeWaits,
      declare: (taskType) => router.declare(taskType),
      logger,
      prefetch: this.options.requestPrefetch,
      placedTtlMs: this.options.placedTtlMs,
      placedMax: this.options.placedMax,
      backlogLogMs: this.options.backlogLogMs,
      maxHoldMs: this.options.maxHoldMs,
    });
    parts.taskEvents = new TaskEventHandler({
      amqp,
      topology,
      registry,
      messages,
      events,
      logger,
      prefetch: this.options.eventPrefetch,
      maxBackoffMs: this.options.maxBackoffMs,
    });
    parts.timers = new TimerHandler({
      amqp,
      topology,
      messages,
      dispatcher: parts.dispatcher,
      served,
      instanceId,
      events,
      logger,
    });
    parts.cancels = new CancelHandler({ amqp, topology, dispatcher: parts.dispatcher, logger, instanceId });
    parts.failures = new WorkerFailureHandler({
      registry,
      drainer: new WorkerQueueDrainer({
        amqp,
        topology,
        messages,
        logger,
        maxDeliveries: this.options.config.rabbitmq.maxDeliveries,
        consumerName: `wlm-scheduler-${instanceId} drainer`,
      }),
      reporter: new IncidentReporter(amqp, topology, instanceId),
      events,
      logger,
      recheckMs: this.options.drainRecheckMs,
      windowMs: this.options.drainWindowMs,
    });
    parts.consumerWatch = new ConsumerWatch({
      amqp,
      topology,
      registry,
      logger,
      intervalMs: this.options.consumerCheckMs,
      misses: this.options.consumerMisses,
      maxChecksPerRound: 100,
    });
    if (this.options.alerts !== false) {
      parts.adminMailer = new AdminMailer(this.options.config.smtp, logger);
      parts.incidentMailer = new IncidentMailer({
        amqp,
        topology,
        mailer: parts.adminMailer,
        logger,
        collectMs: this.options.alerts.collectMs,
        rateLimit: this.options.alerts.rateLimit,
      });
      parts.typeWaitMailer = new TypeWaitMailer({
        amqp,
        topology,
        mailer: parts.adminMailer,
        logger,
        perTypeCooldownMs: this.options.alerts.typeCooldownMs,
      });
    }
  }

  /** Listeners first, then the membership (so workers already dead are drained), then the queues. */
  private async startParts(): Promise<void> {
    const { failures, registry, consumerWatch, incidentMailer, taskEvents, cancels, dispatcher } = this.parts;
    const { router, timers, typeWaitMailer } = this.parts;
    failures?.start();
    await registry?.start();
    consumerWatch?.start();
    await incidentMailer?.start();
    await typeWaitMailer?.start();
    await taskEvents?.start();
    await cancels?.start();
    await dispatcher?.start();
    await timers?.start();
    await router?.start();
  }

  /** Held requests go back to their queues first, the connections close last; parts never opened are skipped. */
  private closeSteps(): CloseStep[] {
    const { dispatcher, cancels, taskEvents, consumerWatch, failures, incidentMailer, registry, serf, amqp } =
      this.parts;
    const { fence, directory } = this.parts;
    const { adminMailer, router, timers, typeWaitMailer } = this.parts;
    return [
      ['stop routing requests', router && (() => router.drain())],
      ['stop taking requests', dispatcher && (() => dispatcher.drain())],
      ['stop timers', timers && (() => timers.stop())],
      ['stop control messages', cancels && (() => cancels.stop())],
      ['stop task events', taskEvents && (() => taskEvents.stop())],
      ['stop watching worker queues', consumerWatch && (() => consumerWatch.stop())],
      ['stop draining lost workers', failures && (() => failures.stop())],
      ['stop incident mail', incidentMailer && (() => incidentMailer.stop())],
      ['stop task type mail', typeWaitMailer && (() => typeWaitMailer.stop())],
      ['stop the worker registry', registry && (() => registry.close())],
      ['write the worker directory a last time', directory && (() => directory.close())],
      ['close the Serf client', serf && (() => serf.close())],
      ['close the AMQP connection', amqp && (() => amqp.close())],
      ['close the placement fence', fence && (() => fence.close())],
      ['close the SMTP transport', adminMailer && (() => adminMailer.close())],
    ];
  }

  /** A fatal error while running drains and ends the scheduler `failed`; one while it drains is ignored. */
  private onFatal(what: string, error: unknown): void {
    if (this.state !== 'running' || !this.machine.fail(error)) return;
    this.log.error({ err: error }, `scheduler failed: ${what}`);
    void this.close();
  }
}
