import { z } from 'zod';
import { attemptIdentityShape } from './attempt-identity';
import { taskTypeSchema, timestampSchema, workerIdSchema } from './fields';
import { wireRegistry } from './registry';

/** Beyond this many, an incident names only how many more tasks were affected. */
export const MAX_INCIDENT_TASKS = 500;

/** One task a worker incident affected: a queued or running assignment moved to another worker. */
export const incidentTaskSchema = z.object({
  /** The attempt that was on the lost worker; the task runs again as the next attempt. */
  ...attemptIdentityShape,
  taskType: taskTypeSchema,
});

/**
 * Scheduler → the scheduler alerts queue: a worker failed or came back. Every scheduler instance that
 * notices reports it; the one active consumer of the queue merges the reports of one incident and
 * mails the admin once.
 */
export const workerIncidentSchema = z
  .object({
    v: z.literal(1),
    type: z.enum(['WORKER_FAILED', 'WORKER_RECOVERED']),
    workerId: workerIdSchema,
    /** The worker's gossip address `host:port` as Serf knows it; empty when unknown. */
    address: z.string().max(300),
    /** When the reporting scheduler noticed. */
    detectedAt: timestampSchema,
    /** How it noticed: Serf membership, the broker (its queue lost its consumer), or at start-up. */
    source: z.enum(['serf', 'broker', 'startup']),
    /** The reporting scheduler instance. */
    reporter: z.string().min(1).max(128),
    /** Tasks this reporter moved off the worker (at most {@link MAX_INCIDENT_TASKS}). */
    affectedTasks: z.array(incidentTaskSchema).max(MAX_INCIDENT_TASKS).default([]),
    /** How many tasks it moved in all, when more than `affectedTasks` lists. */
    affectedTaskCount: z.int().min(0).optional(),
  })
  .register(wireRegistry, { messageType: 'WorkerIncident' });

export type WorkerIncident = z.infer<typeof workerIncidentSchema>;
export type WorkerIncidentInput = z.input<typeof workerIncidentSchema>;
export type IncidentTask = z.infer<typeof incidentTaskSchema>;
