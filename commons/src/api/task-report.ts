import { z } from 'zod';
import { TASK_LOG_TAIL, taskLogTailSchema } from '../wire/task-log-tail';
import { attemptSchema, experimentIdSchema, runSchema, taskIdSchema, timestampSchema } from '../wire/fields';

/** A task's latest PROGRESS report, as the experiment view shows it. */
export const taskProgressReportSchema = z.object({
  message: z.string().nullable(),
  percent: z.number().min(0).max(100).nullable(),
  at: timestampSchema,
});

/** `GET /api/experiments/:id/tasks/:task/logs`: the latest log tail a worker shipped for an attempt. */
export const taskLogsResponseSchema = z.object({
  experimentId: experimentIdSchema,
  run: runSchema,
  taskId: taskIdSchema,
  /** The attempt whose log this is (the latest that shipped one, unless `?attempt=` asked); null when none did. */
  attempt: attemptSchema.nullable(),
  /** One line per `\n`; empty when no worker has shipped any yet. */
  text: taskLogTailSchema,
  /** When the worker cut the tail; null when none has arrived. */
  at: timestampSchema.nullable(),
  limits: z.object({
    maxLines: z.literal(TASK_LOG_TAIL.maxLines),
    maxBytes: z.literal(TASK_LOG_TAIL.maxBytes),
  }),
});

export type TaskProgressReport = z.infer<typeof taskProgressReportSchema>;
export type TaskLogsResponse = z.infer<typeof taskLogsResponseSchema>;
