import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '@wlm/commons/logging';
import type { SerfRpcClient } from '@wlm/commons/serf';

/** The Serf query the probe sends. Agents acknowledge it themselves: no handler runs for it. */
export const LIVENESS_QUERY = 'wlm-liveness';

export interface LivenessProbeOptions {
  /** A connected client of the scheduler's own Serf agent; the probe does not close it. */
  readonly serf: Pick<SerfRpcClient, 'query'>;
  readonly logger: Logger;
  /** How long one round waits for acks, in ms; rounds run back to back (default 1000). */
  readonly roundMs?: number;
  /** Rounds in a row a node must miss to be reported silent (default 2). */
  readonly missesToFail?: number;
}

/** What the probe asks and tells: the {@link WorkerRegistry}. */
export interface LivenessSink {
  /** The Serf nodes to check in the next round. */
  targets(): readonly string[];
  /** `node` missed {@link LivenessProbeOptions.missesToFail} rounds in a row. */
  silent(node: string): void;
  /** `node`, reported silent before, acknowledged a round again. */
  heard(node: string): void;
}

/**
 * Checks, round after round, that the Serf agents of the workers can be reached from here: each
 * round is one Serf query with acks addressed to the workers' nodes, and a node that misses two
 * rounds in a row is reported silent.
 *
 * Why, when Serf detects failures itself: memberlist probes one member per second and, before it
 * calls a member failed, waits out a suspicion of at least 3 s that grows with the cluster — a host
 * whose link is cut was declared failed after 4.4–6 s, and later in larger clusters. A round here
 * asks every worker at once and lasts one second, so a cut host is silent within about three
 * seconds of the cut, whatever the cluster's size. One missed round is forgiven: a single lost
 * packet must not fail a worker.
 */
export class LivenessProbe {
  private readonly misses = new Map<string, number>();
  private readonly reportedSilent = new Set<string>();
  private readonly stopped = new AbortController();
  private readonly log: Logger;
  private readonly roundMs: number;
  private readonly missesToFail: number;

  constructor(
    private readonly options: LivenessProbeOptions,
    private readonly sink: LivenessSink,
  ) {
    this.log = options.logger.child({ module: 'liveness-probe' });
    this.roundMs = options.roundMs ?? 1000;
    this.missesToFail = options.missesToFail ?? 2;
  }

  /** Starts the rounds; they run until {@link close}. */
  start(): void {
    void this.rounds();
  }

  /** Stops after the round in flight, whose answer is then ignored. Idempotent. */
  close(): void {
    this.stopped.abort();
  }

  /** Counts one round's answers: who missed it, who is silent now, who is heard again. */
  recordRound(targets: readonly string[], acks: ReadonlySet<string>): void {
    const targeted = new Set(targets);
    for (const node of [...this.misses.keys()]) if (!targeted.has(node)) this.misses.delete(node);
    for (const node of [...this.reportedSilent]) if (!targeted.has(node)) this.reportedSilent.delete(node);
    for (const node of targets) {
      if (acks.has(node)) {
        this.misses.delete(node);
        if (this.reportedSilent.delete(node)) this.sink.heard(node);
        continue;
      }
      const missed = (this.misses.get(node) ?? 0) + 1;
      this.misses.set(node, missed);
      if (missed === this.missesToFail) {
        this.reportedSilent.add(node);
        this.sink.silent(node);
      }
    }
  }

  private async rounds(): Promise<void> {
    const { signal } = this.stopped;
    while (!signal.aborted) {
      const targets = this.sink.targets();
      if (targets.length === 0) {
        await this.pause();
        continue;
      }
      try {
        const { acks } = await this.options.serf.query(LIVENESS_QUERY, {
          nodes: targets,
          timeoutMs: this.roundMs,
        });
        if (!signal.aborted) this.recordRound(targets, acks);
      } catch (error) {
        // Our own agent is out of reach: that says nothing of the workers, so no round counts.
        this.misses.clear();
        this.log.debug({ err: error }, 'liveness round failed; the next one follows');
        await this.pause();
      }
    }
  }

  private async pause(): Promise<void> {
    await sleep(this.roundMs, undefined, { signal: this.stopped.signal }).catch(() => undefined);
  }
}
