import type { EventEmitter } from 'node:events';
import type { TaskEvent, TaskRequestInput } from '@wlm/commons/wire';

/** What the engine reports as it works, e.g. to the metrics. */
export interface EngineEvents {
  /** Task requests the broker confirmed (recording them follows in the background). */
  'tasks:dispatched': [requests: readonly TaskRequestInput[]];
  /** A batch of task events the leader applied to both stores, PROGRESS and late events left out. */
  'events:applied': [events: readonly TaskEvent[]];
}

export type EngineEventEmitter = EventEmitter<EngineEvents>;
