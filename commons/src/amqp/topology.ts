import type { Channel, Options } from 'amqplib';
import { taskTypeSchema, workerIdSchema } from '../wire/fields';

/**
 * Every exchange and queue of wlm, declared in this one place so that producers and consumers can
 * never disagree on a name or an argument (RabbitMQ refuses a re-declaration with other arguments:
 * 406 PRECONDITION_FAILED). Everything is durable; work queues are classic queues because quorum
 * queues on RabbitMQ 3.10 reject `x-max-priority`.
 */

export type ExchangeType = 'topic' | 'direct' | 'fanout';

export interface ExchangeSpec {
  readonly name: string;
  readonly type: ExchangeType;
}

export interface BindingSpec {
  readonly exchange: string;
  /** Routing-key pattern; for topic exchanges `*` is one word and `#` any number. */
  readonly pattern: string;
}

export interface QueueSpec {
  readonly name: string;
  readonly options: Options.AssertQueue;
  readonly bindings: readonly BindingSpec[];
}

/** A set of declarations; {@link declareTopology} applies it, {@link deleteTopology} removes it. */
export interface TopologySpec {
  readonly exchanges: readonly ExchangeSpec[];
  readonly queues: readonly QueueSpec[];
  /** Where consumers republish messages they reject (with the reason); one of `exchanges`. */
  readonly deadLetterExchange?: string;
}

/** Highest AMQP priority a work queue honours; wire priorities are 0–9. */
export const MAX_PRIORITY = 10;

/** A worker's control queue disappears after a day without a consumer, so retired workers leave no litter. */
const WORKER_CONTROL_QUEUE_EXPIRES_MS = 24 * 60 * 60 * 1000;

/**
 * The delays of the scheduler's timer ladder, in ms: one delay queue each, whose messages all live
 * exactly that long. A timer hops through the longest delay that does not overshoot what is left
 * (powers of 4, so at most three hops per rung), and lands within the shortest delay of its due time.
 * A queue whose messages share one TTL expires them in order; mixed per-message TTLs would not
 * (RabbitMQ expires only at the head of a queue).
 */
export const TIMER_DELAYS_MS: readonly number[] = [
  500, 2_000, 8_000, 32_000, 128_000, 512_000, 2_048_000, 8_192_000, 32_768_000, 131_072_000,
];

const NAMESPACE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

/**
 * The names of one wlm installation. The namespace (default `wlm`) prefixes every name, so tests and
 * parallel installations on one broker stay apart.
 *
 * @example
 * ```ts
 * const topology = new WlmTopology();            // wlm.events, wlm.scheduler.requests, …
 * await connection.declare(topology.worker('w1')); // wlm.worker.w1 and its control queue
 * ```
 */
export class WlmTopology {
  readonly exchanges: {
    /** Topic exchange of `TaskEvent`s, routing key `task.<state>`. */
    readonly events: string;
    /** Topic exchange of `ControlMessage`s (cancel), routing key `control.<type>`. */
    readonly control: string;
    /** Where every work queue dead-letters, and where consumers republish poison messages. */
    readonly deadLetter: string;
  };

  readonly queues: {
    /**
     * Where every TaskRequest is published, by experiment priority: the scheduler's front door. The
     * scheduler moves each request at once to its task type's queue ({@link requestQueue}), so this
     * queue never holds a request that waits for a worker.
     */
    readonly schedulerRequests: string;
    /** Due scheduler timers (queue timeouts, type-wait checks), dead-lettered here by the delay queues. */
    readonly schedulerTimers: string;
    /**
     * Reports of task types that have waited too long for a worker. Single active consumer, like
     * {@link schedulerAlerts}, so one instance mails the admin once per type.
     */
    readonly schedulerTypeAlerts: string;
    /** The terminal task events the scheduler needs for capacity and retries. */
    readonly schedulerEvents: string;
    /** Control messages for the scheduler. */
    readonly schedulerControl: string;
    /**
     * Worker incidents (failure, recovery) reported by every scheduler instance. Single active
     * consumer: exactly one instance at a time reads them, so it alone de-duplicates an incident that
     * several instances saw and sends one admin mail for it.
     */
    readonly schedulerAlerts: string;
    /** Every task event, for the orchestrator (standbys compete on it; only the leader consumes). */
    readonly orchestratorEvents: string;
    /** Poison and rejected messages, each with the reason in its headers. */
    readonly deadLetter: string;
  };

  constructor(readonly namespace = 'wlm') {
    if (!NAMESPACE_PATTERN.test(namespace)) {
      throw new RangeError(`AMQP namespace "${namespace}" must be 1–64 letters, digits, _ or - (no dots)`);
    }
    this.exchanges = {
      events: `${namespace}.events`,
      control: `${namespace}.control`,
      deadLetter: `${namespace}.dlx`,
    };
    this.queues = {
      schedulerRequests: `${namespace}.scheduler.requests`,
      schedulerEvents: `${namespace}.scheduler.events`,
      schedulerControl: `${namespace}.scheduler.control`,
      schedulerAlerts: `${namespace}.scheduler.alerts`,
      schedulerTimers: `${namespace}.scheduler.timers`,
      schedulerTypeAlerts: `${namespace}.scheduler.type-alerts`,
      orchestratorEvents: `${namespace}.orchestrator.events`,
      deadLetter: `${namespace}.dead-letter`,
    };
  }

  /** The queue of assignments for one worker: `<ns>.worker.<id>`. */
  workerQueue(workerId: string): string {
    return `${this.namespace}.worker.${workerIdSchema.parse(workerId)}`;
  }

  /** The queue of one task type's requests, consumed while a live worker runs the type: `<ns>.requests.<type>`. */
  requestQueue(taskType: string): string {
    return `${this.namespace}.requests.${taskTypeSchema.parse(taskType)}`;
  }

  /** The delay queue of one rung of the timer ladder ({@link TIMER_DELAYS_MS}): `<ns>.scheduler.delay.<ms>`. */
  delayQueue(delayMs: number): string {
    if (!TIMER_DELAYS_MS.includes(delayMs)) throw new RangeError(`${delayMs} ms is not a timer delay`);
    return `${this.namespace}.scheduler.delay.${delayMs}`;
  }

  /**
   * One task type's request queue, declared beside {@link core} by whoever moves a request there or
   * consumes it (the scheduler), since a message to a queue that does not exist yet is unroutable.
   */
  requests(taskType: string): TopologySpec {
    return {
      deadLetterExchange: this.exchanges.deadLetter,
      exchanges: [{ name: this.exchanges.deadLetter, type: 'topic' }],
      queues: [{ name: this.requestQueue(taskType), options: this.workQueue(true), bindings: [] }],
    };
  }

  /** The queue of control messages for one worker: `<ns>.worker.<id>.control`. */
  workerControlQueue(workerId: string): string {
    return `${this.workerQueue(workerId)}.control`;
  }

  /** Exchanges, the scheduler's and orchestrator's queues and the dead-letter queue; every service declares it. */
  core(): TopologySpec {
    const { events, control, deadLetter } = this.exchanges;
    return {
      deadLetterExchange: deadLetter,
      exchanges: [
        { name: deadLetter, type: 'topic' },
        { name: events, type: 'topic' },
        { name: control, type: 'topic' },
      ],
      queues: [
        // Not dead-lettered itself: a poison message stops here for a person to look at.
        {
          name: this.queues.deadLetter,
          options: classicQueue({}),
          bindings: [{ exchange: deadLetter, pattern: '#' }],
        },
        { name: this.queues.schedulerRequests, options: this.workQueue(true), bindings: [] },
        {
          name: this.queues.schedulerEvents,
          options: this.workQueue(false),
          // RUNNING confirms a placement; the terminal states free capacity and drive retries, and
          // DEFERRED frees capacity and carries the task's next round.
          bindings: ['task.running', 'task.deferred', 'task.completed', 'task.failed', 'task.cancelled'].map(
            (pattern) => ({ exchange: events, pattern }),
          ),
        },
        {
          name: this.queues.schedulerControl,
          options: this.workQueue(false),
          bindings: [{ exchange: control, pattern: 'control.#' }],
        },
        {
          name: this.queues.schedulerAlerts,
          options: this.workQueue(false, { 'x-single-active-consumer': true }),
          bindings: [],
        },
        {
          name: this.queues.schedulerTypeAlerts,
          options: this.workQueue(false, { 'x-single-active-consumer': true }),
          bindings: [],
        },
        { name: this.queues.schedulerTimers, options: this.workQueue(false), bindings: [] },
        ...TIMER_DELAYS_MS.map((delayMs) => ({
          name: this.delayQueue(delayMs),
          // Nobody consumes a delay queue: its messages expire into the timers queue, in order.
          options: classicQueue({
            messageTtl: delayMs,
            deadLetterExchange: '',
            deadLetterRoutingKey: this.queues.schedulerTimers,
          }),
          bindings: [],
        })),
        {
          name: this.queues.orchestratorEvents,
          options: this.workQueue(false),
          bindings: [{ exchange: events, pattern: 'task.#' }],
        },
      ],
    };
  }

  /**
   * One worker's queues, declared beside {@link core} (whose exchanges and dead-letter queue they
   * rely on). The worker declares them when it starts and the scheduler before its first assignment
   * to it, because a message to a queue that does not exist yet would be unroutable.
   */
  worker(workerId: string): TopologySpec {
    return {
      deadLetterExchange: this.exchanges.deadLetter,
      exchanges: [
        { name: this.exchanges.deadLetter, type: 'topic' },
        { name: this.exchanges.control, type: 'topic' },
      ],
      queues: [
        { name: this.workerQueue(workerId), options: this.workQueue(true), bindings: [] },
        {
          name: this.workerControlQueue(workerId),
          options: { ...this.workQueue(false), expires: WORKER_CONTROL_QUEUE_EXPIRES_MS },
          bindings: [{ exchange: this.exchanges.control, pattern: 'control.#' }],
        },
      ],
    };
  }

  private workQueue(prioritised: boolean, extraArguments: Record<string, unknown> = {}): Options.AssertQueue {
    return classicQueue(
      {
        deadLetterExchange: this.exchanges.deadLetter,
        ...(prioritised ? { maxPriority: MAX_PRIORITY } : {}),
      },
      extraArguments,
    );
  }
}

function classicQueue(
  options: Options.AssertQueue,
  extraArguments: Record<string, unknown> = {},
): Options.AssertQueue {
  return { durable: true, ...options, arguments: { ...extraArguments, 'x-queue-type': 'classic' } };
}

/** The union of several specs, each exchange and queue once (the first declaration of a name wins). */
export function mergeTopology(...specs: readonly TopologySpec[]): TopologySpec {
  const exchanges = new Map<string, ExchangeSpec>();
  const queues = new Map<string, QueueSpec>();
  for (const spec of specs) {
    for (const exchange of spec.exchanges)
      if (!exchanges.has(exchange.name)) exchanges.set(exchange.name, exchange);
    for (const queue of spec.queues) if (!queues.has(queue.name)) queues.set(queue.name, queue);
  }
  const deadLetterExchange = specs.find((spec) => spec.deadLetterExchange !== undefined)?.deadLetterExchange;
  return {
    exchanges: [...exchanges.values()],
    queues: [...queues.values()],
    ...(deadLetterExchange === undefined ? {} : { deadLetterExchange }),
  };
}

/** Declares exchanges, then queues, then bindings. Idempotent when the arguments match. */
export async function declareTopology(channel: Channel, spec: TopologySpec): Promise<void> {
  for (const exchange of spec.exchanges) {
    await channel.assertExchange(exchange.name, exchange.type, { durable: true });
  }
  for (const queue of spec.queues) {
    await channel.assertQueue(queue.name, queue.options);
    for (const binding of queue.bindings)
      await channel.bindQueue(queue.name, binding.exchange, binding.pattern);
  }
}

/**
 * Deletes the queues and exchanges of `spec` (with their messages) — for tests and resets. Deleting
 * something already gone is fine on RabbitMQ 3.10.
 */
export async function deleteTopology(channel: Channel, spec: TopologySpec): Promise<void> {
  for (const queue of spec.queues) await channel.deleteQueue(queue.name);
  for (const exchange of spec.exchanges) await channel.deleteExchange(exchange.name);
}
