import { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { WlmError } from '@wlm/commons/errors';
import { ServiceLifecycle } from '@wlm/commons/lifecycle';
import { connectionProbe } from '@wlm/commons/metrics';
import type { WorkerAdvertisement } from '@wlm/commons/advertisement';
import type { AmqpConnection } from '@wlm/commons/amqp';
import type { CloseStep, ServiceLifecycleView, ServiceState } from '@wlm/commons/lifecycle';
import type { Logger } from '@wlm/commons/logging';
import type { DependencyProbe } from '@wlm/commons/metrics';
import type { WorkerEvents, WorkerStartInfo } from './worker-events';
import { compileWorkerOptions } from './worker-options';
import type { CompiledWorkerOptions, WorkerOptions } from './worker-options';
import { startWorkerParts } from './worker-parts';
import type { WorkerParts } from './worker-parts';

export interface CloseOptions {
  /**
   * Do not wait for running tasks: stop them now and hand their assignments back to the queue (a
   * second SIGTERM). Also cuts short a graceful close already under way.
   */
  force?: boolean;
}

/**
 * A wlm worker: advertises its task types and free slots over Serf, consumes its own priority queue
 * with prefetch = slots, runs each assignment in an isolated task process and reports it as
 * TaskEvents, acking the assignment only once its terminal event is confirmed.
 *
 * Its life is the {@link ServiceLifecycle} of every wlm service: `starting` → `running` → `draining` →
 * `stopped`; a failed start, or a fatal error while running (its own Serf agent died), ends in
 * `failed`. {@link close} is idempotent.
 *
 * @example
 * ```ts
 * const worker = await Worker.start({
 *   workerId: 'w1', plugins: ['echo', 'shell'].map(pluginSpecifier), slots: 4,
 *   amqpUrl: config.rabbitmq.url, serf: { mode: 'own-agent', join: [config.serf.bindAddr] }, logger,
 * });
 * worker.on('task:failed', (task, failure) => logger.warn({ ...task, ...failure }, 'task failed'));
 * process.once('SIGTERM', () => void worker.close());
 * ```
 */
export class Worker extends EventEmitter<WorkerEvents> {
  private readonly options: CompiledWorkerOptions;
  private readonly log: Logger;
  private readonly machine: ServiceLifecycle;
  private parts: WorkerParts | undefined;
  private starting: Promise<WorkerStartInfo> | undefined;
  private readonly forced = new AbortController();

  /** Checks the options; nothing starts until {@link start}. @throws ConfigError naming a bad option. */
  constructor(options: WorkerOptions) {
    super();
    this.options = compileWorkerOptions(options);
    this.log = this.options.logger;
    this.machine = new ServiceLifecycle({
      name: 'worker',
      logger: this.log,
      closeSteps: () => this.closeSteps(),
    });
    this.machine.on('state', (state, previous) => this.emit('state', state, previous));
  }

  /** Creates and starts a worker; rejects (after undoing what it started) when it cannot run. */
  static async start(options: WorkerOptions): Promise<Worker> {
    const worker = new Worker(options);
    await worker.start();
    return worker;
  }

  get state(): ServiceState {
    return this.machine.state;
  }

  /** Its lifecycle: the state, and a promise of how it ended (what `runService` waits for). */
  get lifecycle(): ServiceLifecycleView {
    return this.machine;
  }

  /** What the worker runs and where it listens; available once started. */
  get info(): WorkerStartInfo {
    if (this.parts === undefined) throw new WlmError('SHUTTING_DOWN', 'the worker has not started');
    return this.parts.info;
  }

  /** The advertisement as last handed to Serf (it may still be on its way). */
  get advertisement(): WorkerAdvertisement | undefined {
    return this.parts?.advertiser.current;
  }

  /** The broker connection, for metrics; available once started. */
  get connection(): AmqpConnection {
    if (this.parts === undefined) throw new WlmError('SHUTTING_DOWN', 'the worker has not started');
    return this.parts.amqp;
  }

  /** What `/readyz` checks: the broker connection and the Serf agent's RPC connection are up. */
  dependencyProbes(): DependencyProbe[] {
    return [
      connectionProbe('rabbitmq', 'AMQP', () => this.parts?.amqp.state),
      connectionProbe('serf', 'Serf RPC', () => this.parts?.presence.client.state),
    ];
  }

  /** Tasks running now. */
  get runningTasks(): number {
    return this.parts?.running.size ?? 0;
  }

  /** Starts every part (see `startWorkerParts`); a second call returns the first call's promise. */
  start(): Promise<WorkerStartInfo> {
    this.starting ??= this.machine.start(() => this.open());
    return this.starting;
  }

  /**
   * Stops gracefully: no new assignments, running tasks get up to `drainTimeoutMs` to finish and are
   * then stopped and handed back (requeued), the Serf agent leaves, the AMQP connection closes.
   * Idempotent: every call returns the same promise; `force` cuts the wait for running tasks short.
   */
  close(options: CloseOptions = {}): Promise<void> {
    if (options.force === true) this.forced.abort();
    return this.machine.close();
  }

  /** Starts every part; a part that fails undoes the ones before it (`startWorkerParts`). */
  private async open(): Promise<WorkerStartInfo> {
    this.log.info({ plugins: this.options.plugins, slots: this.options.slots }, 'worker starting');
    this.parts = await startWorkerParts(this.options, this, () => this.onLoadChange());
    this.parts.presence.on('lost', (error) => this.fail(error));
    const { queue, slots, taskTypes, labels, pluginFailures, serf } = this.parts.info;
    this.log.info({ queue, slots, taskTypes, labels, pluginFailures, serf }, 'worker running');
    return this.parts.info;
  }

  private onLoadChange(): void {
    const parts = this.parts;
    // While draining the advertisement stays at zero free slots, whatever finishes.
    if (parts === undefined || this.state !== 'running') return;
    parts.advertiser.setFreeSlots(Math.max(0, this.options.slots - parts.running.size));
  }

  /** A fatal error while running: report it and shut down without waiting for running tasks. */
  private fail(error: Error): void {
    if (!this.machine.fail(error)) return;
    this.log.error({ err: error }, 'worker failed; shutting down');
    this.emit('worker:failed', error);
    void this.close({ force: true });
  }

  /**
   * Tells the scheduler first (zero free slots), so that it stops placing work here while running
   * tasks finish; then leaves Serf before closing the connection the leave is announced over.
   */
  private closeSteps(): CloseStep[] {
    const parts = this.parts;
    // A start that failed has undone its parts itself.
    if (parts === undefined) return [];
    return [
      [
        'stop taking assignments',
        () => {
          parts.handler.stopAccepting();
          parts.advertiser.setFreeSlots(0);
        },
      ],
      ['let the running tasks finish', () => this.drain(parts)],
      ['stop the control consumer', () => parts.control.stop()],
      ['leave the Serf cluster', () => parts.presence.depart(parts.advertiser)],
      ['stop the task processes', () => parts.runner.close()],
      ['close the AMQP connection', () => parts.amqp.close()],
    ];
  }

  /**
   * Stops consuming and lets the running tasks finish within the drain timeout; then stops the rest,
   * whose handlers throw a retryable error so that the consumer requeues their assignments.
   */
  private async drain(parts: WorkerParts): Promise<void> {
    const running = parts.running.size;
    if (running > 0)
      this.log.info(
        { running, drainTimeoutMs: this.options.drainTimeoutMs },
        'letting the running tasks finish',
      );
    // Resolves once the subscription is cancelled and every handler has settled its delivery.
    const consumerStopped = parts.assignments.cancel().catch((error: unknown) => {
      this.log.warn({ err: error }, 'stopping the assignment consumer failed');
    });
    if (await this.settlesWithin(consumerStopped, this.options.drainTimeoutMs)) return;
    const stopped = parts.running.stopAll();
    if (stopped.length > 0) {
      this.log.warn(
        { handedBack: stopped.map((task) => task.assignment.assignmentId) },
        this.forced.signal.aborted
          ? 'forced stop: handing back running tasks'
          : 'drain timeout: handing back running tasks',
      );
    }
    await consumerStopped;
  }

  /** True when `promise` settles within `ms`; false at the timeout or when a forced close comes first. */
  private async settlesWithin(promise: Promise<void>, ms: number): Promise<boolean> {
    if (this.forced.signal.aborted) return false;
    const timer = new AbortController();
    const onForce = (): void => timer.abort();
    this.forced.signal.addEventListener('abort', onForce, { once: true });
    try {
      return await Promise.race([
        promise.then(() => true),
        sleep(ms, false, { signal: timer.signal }).catch(() => false),
      ]);
    } finally {
      timer.abort();
      this.forced.signal.removeEventListener('abort', onForce);
    }
  }
}
