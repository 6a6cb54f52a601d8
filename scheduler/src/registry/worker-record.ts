import type { WlmTopology } from '@wlm/commons/amqp';
import type { Logger } from '@wlm/commons/logging';
import type { SerfRpcClient } from '@wlm/commons/serf';
import type { ReservationLedgerOptions } from './reservation-ledger';
import type { WorkerView } from './worker-view';

export type WorkerStatus = 'alive' | 'failed' | 'left';

/** A worker as {@link WorkerRegistry.entries} lists it. */
export interface WorkerEntryState {
  readonly worker: WorkerView;
  readonly status: WorkerStatus;
  readonly unreachable: boolean;
  readonly failedAt: Date | null;
  /** Its free slots as placement counts them: its advert less the placements it has not advertised yet. */
  readonly freeSlots: number;
}

export interface WorkerRegistryOptions {
  /** A connected client of the scheduler's own Serf agent; the registry does not close it. */
  readonly serf: SerfRpcClient;
  /** Only workers of this installation (queue `topology.workerQueue(id)`) are admitted. */
  readonly topology: WlmTopology;
  readonly logger: Logger;
  readonly ledger?: ReservationLedgerOptions;
  /**
   * How often to ask the agent for failed and departed workers, in ms (default 250); 0 turns it off.
   * The agent's `members` shows a failure about a second before its event stream does.
   */
  readonly failurePollMs?: number;
  /** How often time-based reservation changes reach the capacity index, in ms. */
  readonly sweepMs?: number;
  readonly now?: () => number;
}

/** What found a worker failed, for the log. */
export type FailureDetector = 'membership' | 'death notice' | 'liveness probe';

/** What the registry knows of one worker. */
export interface Known {
  worker: WorkerView;
  status: WorkerStatus;
  failedAt: number | undefined;
  /**
   * Failed on its watchdog's death notice: the process is gone even while Serf still lists its
   * agent alive, so only a new incarnation brings it back.
   */
  diedByNotice: boolean;
  /**
   * Its agent misses the {@link LivenessProbe}'s rounds: failed, whatever the membership still says,
   * until the probe hears it again.
   */
  silent: boolean;
  /** Alive in Serf, but the broker says nobody consumes its queue: it gets no work meanwhile. */
  unreachable: boolean;
}
