import { z } from 'zod';
import { timestampSchema, workerIdSchema } from './fields';
import { wireRegistry } from './registry';
import { taskRequestShape } from './task-request';

/**
 * Scheduler → one worker's queue (same AMQP priority as the request): run this task. It carries the
 * whole request so the worker needs nothing else, plus who it was given to and when.
 */
export const taskAssignmentSchema = z
  .object({
    ...taskRequestShape,
    /** Unique per placement; a redelivered assignment keeps its id. */
    assignmentId: z.string().min(1).max(128),
    workerId: workerIdSchema,
    assignedAt: timestampSchema,
  })
  .register(wireRegistry, { messageType: 'TaskAssignment' });

export type TaskAssignment = z.infer<typeof taskAssignmentSchema>;
export type TaskAssignmentInput = z.input<typeof taskAssignmentSchema>;
