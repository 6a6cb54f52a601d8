import { z } from 'zod';
import { pluginVersionSchema } from '../advertisement/worker-advertisement';
import { taskTypeSchema, timestampSchema, workerIdSchema } from '../wire/fields';

/**
 * How the scheduler sees a worker: `alive` in the Serf membership, `failed` (Serf declared it
 * failed, or the broker saw its queue lose its consumer while Serf still called it alive), `left`
 * (a graceful leave).
 */
export const workerStateSchema = z.enum(['alive', 'failed', 'left']);

/** One worker of the directory the scheduler keeps for the orchestrator (`GET /api/workers`). */
export const workerEntrySchema = z.object({
  workerId: workerIdSchema,
  /** Its gossip address `host:port`. */
  address: z.string().max(300),
  state: workerStateSchema,
  /** False while Serf calls it alive but nobody consumes its queue: it gets no new work. */
  reachable: z.boolean(),
  /** Task type → version of the plugin serving it. */
  taskTypes: z.record(taskTypeSchema, pluginVersionSchema),
  labels: z.record(z.string(), z.string()),
  slots: z.int().min(0),
  /** Slots taken as the scheduler counts them: what the worker advertises plus placements it has not advertised yet. */
  slotsInUse: z.int().min(0),
  /** When the scheduler marked it failed; null while it is not. */
  failedAt: timestampSchema.nullable(),
  /** When a scheduler last wrote this entry. */
  updatedAt: timestampSchema,
  /** The scheduler instance that wrote it. */
  reportedBy: z.string().max(128),
});

/** A change of a worker's membership the scheduler recorded, newest first in the API. */
export const workerIncidentEntrySchema = z.object({
  workerId: workerIdSchema,
  kind: z.enum(['joined', 'failed', 'recovered', 'left', 'unreachable', 'reachable']),
  /** How it was noticed, for a failure: `serf`, `broker` or `startup`; empty otherwise. */
  source: z.string().max(32),
  at: timestampSchema,
  reportedBy: z.string().max(128),
});

/** `GET /api/workers`. */
export const workersResponseSchema = z.object({
  items: z.array(workerEntrySchema),
  /** The latest changes of membership, newest first (at most {@link RECENT_INCIDENTS}). */
  incidents: z.array(workerIncidentEntrySchema),
});

/** How many recent incidents `GET /api/workers` lists. */
export const RECENT_INCIDENTS = 50;

export type WorkerState = z.infer<typeof workerStateSchema>;
export type WorkerEntry = z.infer<typeof workerEntrySchema>;
export type WorkerIncidentEntry = z.infer<typeof workerIncidentEntrySchema>;
export type WorkersResponse = z.infer<typeof workersResponseSchema>;
