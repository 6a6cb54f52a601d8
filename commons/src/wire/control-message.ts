import { z } from 'zod';
import { WIRE_TEXT_LIMITS, experimentIdSchema, runSchema, taskIdSchema, timestampSchema } from './fields';
import { wireRegistry } from './registry';

/**
 * Cancel one task, or every task of an experiment's run when `taskId` is absent. The scheduler drops
 * held requests and queued assignments; a worker aborts a running task through its AbortSignal. A
 * cancel names its run, so it never stops the tasks of a later rerun.
 */
export const cancelTaskSchema = z
  .object({
    v: z.literal(1),
    type: z.literal('CANCEL_TASK'),
    experimentId: experimentIdSchema,
    run: runSchema,
    taskId: taskIdSchema.optional(),
    reason: z.string().max(WIRE_TEXT_LIMITS.messageChars).optional(),
    requestedAt: timestampSchema,
  })
  .register(wireRegistry, { messageType: 'CancelTask' });

/**
 * Everything published on the control exchange, discriminated on `type`. Cancel is the only control
 * the design needs today (rerun and resume stay inside the orchestrator); new kinds join this union
 * so one consumer per component handles them all.
 */
export const controlMessageSchema = z
  .discriminatedUnion('type', [cancelTaskSchema])
  .register(wireRegistry, { messageType: 'ControlMessage' });

export type CancelTask = z.infer<typeof cancelTaskSchema>;
export type CancelTaskInput = z.input<typeof cancelTaskSchema>;
export type ControlMessage = z.infer<typeof controlMessageSchema>;
export type ControlMessageInput = z.input<typeof controlMessageSchema>;

/** `control.<type>` in lower case, e.g. `control.cancel_task`. */
export function controlRoutingKey(message: Pick<ControlMessage, 'type'>): string {
  return `control.${message.type.toLowerCase()}`;
}
