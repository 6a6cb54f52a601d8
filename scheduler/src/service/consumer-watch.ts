import type { AmqpConnection, WlmTopology } from '@wlm/commons/amqp';
import type { Logger } from '@wlm/commons/logging';
import type { WorkerRegistry } from '../registry';

export interface ConsumerWatchOptions {
  readonly amqp: AmqpConnection;
  readonly topology: WlmTopology;
  readonly registry: WorkerRegistry;
  readonly logger: Logger;
  /** How often worker queues are checked; 0 turns the watch off. */
  readonly intervalMs: number;
  /** Checks in a row without a consumer before a worker counts as unreachable. */
  readonly misses: number;
  /** Queues checked per round at most (round robin), so a large cluster costs the broker little. */
  readonly maxChecksPerRound: number;
}

/** After the scheduler's own connection comes back, consumers of other clients are still reconnecting too. */
const RECONNECT_QUIET_MS = 15_000;
/** Below this many queues in a round, "most consumers vanished at once" says little. */
const MASS_LOSS_MIN_QUEUES = 4;

/**
 * The broker's view of the workers: a worker whose queue has had no consumer for `misses` checks in
 * a row, while Serf still calls it alive, has lost its AMQP connection (or is shutting down) — it is
 * marked unreachable, so it gets no new work and its queued work is moved, typically seconds before
 * Serf would declare a dead worker failed. It becomes reachable when a consumer is back.
 *
 * A broker restart makes every worker's consumer vanish at once; that is not a wave of failures, so
 * a round in which most checked queues lack a consumer, and the first seconds after this scheduler's
 * own reconnect, change nothing.
 */
export class ConsumerWatch {
  private readonly missed = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private cursor = 0;
  private checking = false;
  private quietUntil = 0;
  private readonly log: Logger;
  private readonly onReconnected = (): void => {
    this.quietUntil = Date.now() + RECONNECT_QUIET_MS;
    this.missed.clear();
  };

  constructor(private readonly options: ConsumerWatchOptions) {
    this.log = options.logger.child({ module: 'consumer-watch' });
  }

  start(): void {
    if (this.options.intervalMs <= 0) return;
    this.options.amqp.on('reconnected', this.onReconnected);
    this.timer = setInterval(() => void this.round(), this.options.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.options.amqp.off('reconnected', this.onReconnected);
  }

  private async round(): Promise<void> {
    if (this.checking || Date.now() < this.quietUntil || this.options.amqp.state !== 'connected') return;
    this.checking = true;
    try {
      const counts = await this.consumerCounts(this.nextSlice());
      this.apply(counts);
    } finally {
      this.checking = false;
    }
  }

  /** The next workers to check, round robin over the alive ones (unreachable ones included). */
  private nextSlice(): string[] {
    const alive = this.options.registry.alive().map((worker) => worker.workerId);
    for (const workerId of this.missed.keys()) if (!alive.includes(workerId)) this.missed.delete(workerId);
    if (alive.length <= this.options.maxChecksPerRound) return alive;
    const start = this.cursor % alive.length;
    this.cursor = start + this.options.maxChecksPerRound;
    return [...alive, ...alive].slice(start, start + this.options.maxChecksPerRound);
  }

  private apply(counts: ReadonlyMap<string, number>): void {
    const absent = [...counts.values()].filter((count) => count === 0).length;
    if (counts.size >= MASS_LOSS_MIN_QUEUES && absent > counts.size / 2) {
      this.log.warn(
        { absent, checked: counts.size },
        'most worker queues lost their consumers at once; waiting',
      );
      return;
    }
    const { registry } = this.options;
    for (const [workerId, consumers] of counts) {
      if (consumers > 0) {
        this.missed.delete(workerId);
        registry.markReachable(workerId);
        continue;
      }
      const missed = (this.missed.get(workerId) ?? 0) + 1;
      this.missed.set(workerId, missed);
      if (missed >= this.options.misses) registry.markUnreachable(workerId);
    }
  }

  /**
   * Consumer counts of the workers' queues. A queue that does not exist (a worker that has not
   * declared it yet) is left out; the broker closes the channel on it, so checking goes on on a
   * fresh one.
   */
  private async consumerCounts(workerIds: readonly string[]): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    let index = 0;
    while (index < workerIds.length) {
      const before = index;
      try {
        await this.options.amqp.withChannel(async (channel) => {
          for (; index < workerIds.length; index += 1) {
            const workerId = workerIds[index] as string;
            try {
              const { consumerCount } = await channel.checkQueue(this.options.topology.workerQueue(workerId));
              counts.set(workerId, consumerCount);
            } catch {
              index += 1;
              return;
            }
          }
        });
      } catch (error) {
        this.log.debug({ err: error }, 'cannot check worker queues this round');
        return counts;
      }
      if (index === before) break;
    }
    return counts;
  }
}
