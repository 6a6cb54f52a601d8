import { setTimeout as sleep } from 'node:timers/promises';
import { taskEventSchema } from '@wlm/commons/wire';
import type { AmqpConnection, ConsumerHandle, WlmTopology } from '@wlm/commons/amqp';
import type { Logger } from '@wlm/commons/logging';
import type { TaskEvent } from '@wlm/commons/wire';
import { Batcher } from './batcher';
import type { Engine } from './engine';
import type { EventProcessor } from './event-processor';
import type { Reconciler } from './reconciler';

export interface LeaderDutiesOptions {
  amqp: AmqpConnection;
  topology: WlmTopology;
  engine: Engine;
  processor: EventProcessor;
  /** Runs while this instance leads and consumes: finds experiments with nothing in flight. */
  reconciler?: Reconciler | undefined;
  logger: Logger;
  /** Most events per batch (one MySQL and one Neo4j transaction). Default 500. */
  batchSize?: number;
  /** How long an idle batcher waits for more events. Default 2 ms. */
  batchWaitMs?: number;
  /** Event batches handled at once, never two with events of one experiment (`leader.eventBatchesInFlight`). Default 1. */
  batchesInFlight?: number;
  /** Pause between tries to recover experiments whose recovery failed. Default 5 s. */
  recoveryRetryMs?: number;
  /**
   * How long a deposed leader waits for the event batch in hand (`leader.handoverTimeoutMs`). Past
   * it the consumer's channel is closed: its unacked events go back to the queue for the next
   * leader, even if a handler hangs on a silent store. Default 3 s.
   */
  handoverTimeoutMs?: number;
}

/** What only the leader does: recovery, then consuming task events. */
export class LeaderDuties {
  private readonly batcher: Batcher<TaskEvent>;
  private consumer: ConsumerHandle | undefined;
  private leadership: AbortController | undefined;
  /** Elections and depositions are handled one after the other, in order. */
  private transitions: Promise<void> = Promise.resolve();
  private readonly logger: Logger;

  constructor(private readonly options: LeaderDutiesOptions) {
    this.logger = options.logger.child({ module: 'leader-duties' });
    this.batcher = new Batcher(options.processor.process, {
      maxSize: options.batchSize ?? 500,
      maxWaitMs: options.batchWaitMs ?? 2,
      batchesInFlight: this.batchesInFlight,
      // An experiment's events are handled in order, one batch at a time (docs/recovery.md).
      keyOf: (event) => event.experimentId,
      logger: this.logger,
    });
  }

  private get batchesInFlight(): number {
    return this.options.batchesInFlight ?? 1;
  }

  get consuming(): boolean {
    return this.consumer !== undefined;
  }

  /** On `elected`: recover every registry experiment, then consume events. */
  elected(term: number): Promise<void> {
    const leadership = new AbortController();
    this.leadership?.abort();
    this.leadership = leadership;
    return this.enqueue(async () => {
      const { signal } = leadership;
      const started = Date.now();
      const failed = await this.untilDone('recovery', signal, () => this.options.engine.recoverAll(signal));
      if (failed === undefined || signal.aborted) return;
      this.logger.info(
        { term, failed: failed.length, ms: Date.now() - started },
        'recovery done; consuming task events',
      );
      // A batch more than those in flight, so the next one gathers while they are written.
      const prefetch = (this.batchesInFlight + 1) * (this.options.batchSize ?? 500);
      const consumer = await this.untilDone('consuming task events', signal, () =>
        this.options.amqp.consume(
          this.options.topology.queues.orchestratorEvents,
          taskEventSchema,
          (event) => this.batcher.add(event),
          { prefetch },
        ),
      );
      if (consumer === undefined) return;
      if (signal.aborted) {
        await consumer.cancel();
        return;
      }
      this.consumer = consumer;
      this.options.reconciler?.start(signal);
      if (failed.length > 0) void this.retryRecovery(failed, signal);
    });
  }

  /**
   * On `deposed` (and at shutdown): stop consuming. Events already taken are finished and acked if
   * that takes less than `handoverTimeoutMs`; otherwise they go back to the queue unacked (their
   * handlers finish in the background, harmlessly: every write is idempotent).
   */
  deposed(): Promise<void> {
    // At once, not in turn: an election step still recovering must stop now.
    this.leadership?.abort();
    this.leadership = undefined;
    return this.enqueue(async () => {
      const handoverTimeoutMs = this.options.handoverTimeoutMs ?? 3000;
      const deadline = Date.now() + handoverTimeoutMs;
      const consumer = this.consumer;
      this.consumer = undefined;
      if (consumer !== undefined) {
        await consumer.cancel({ handlerTimeoutMs: handoverTimeoutMs });
        this.logger.info('stopped consuming task events');
      }
      // The reconciler's pass in hand stops with the leadership's signal; its store calls are bounded.
      const timer = new AbortController();
      const idle = await Promise.race([
        Promise.all([this.batcher.idle(), this.options.reconciler?.stopped()]).then(() => true),
        sleep(Math.max(0, deadline - Date.now()), false, { signal: timer.signal }).catch(() => false),
      ]);
      timer.abort();
      if (!idle) {
        this.logger.warn(
          { handoverTimeoutMs },
          'the event batch in hand did not finish in time; its events were handed back unacked',
        );
      }
    });
  }

  /** Stops consuming and any recovery in progress; waits for the events taken to be handled. */
  stop(): Promise<void> {
    return this.deposed();
  }

  /**
   * Runs `step` until it succeeds, with capped exponential backoff: a store or broker outage delays
   * the new leader's work but never makes it give up. `undefined` when leadership ended first.
   */
  private async untilDone<T>(
    what: string,
    signal: AbortSignal,
    step: () => Promise<T>,
  ): Promise<T | undefined> {
    for (let failures = 0; !signal.aborted; failures += 1) {
      try {
        return await step();
      } catch (error) {
        const delayMs = Math.min(10_000, 250 * 2 ** failures);
        this.logger.error({ err: error, delayMs }, `${what} failed; trying again`);
        if (!(await sleep(delayMs, true, { signal }).catch(() => false))) return undefined;
      }
    }
    return undefined;
  }

  private enqueue(step: () => Promise<void>): Promise<void> {
    const next = this.transitions.then(step);
    this.transitions = next.catch((error: unknown) =>
      this.logger.error({ err: error }, 'a leadership transition failed'),
    );
    return next;
  }

  private async retryRecovery(ids: string[], signal: AbortSignal): Promise<void> {
    let remaining = ids;
    while (remaining.length > 0 && !signal.aborted) {
      const slept = await sleep(this.options.recoveryRetryMs ?? 5000, true, { signal }).catch(() => false);
      if (!slept) return;
      remaining = await this.options.engine.recoverAll(signal, remaining);
    }
  }
}
