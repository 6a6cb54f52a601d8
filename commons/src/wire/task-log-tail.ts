import { z } from 'zod';

/**
 * The bound of the log tail a worker ships with a task's events, defined once for the worker that
 * cuts it, the wire that checks it, the store that keeps it and the API that serves it: the last
 * {@link TASK_LOG_TAIL.maxLines} lines, and no more than {@link TASK_LOG_TAIL.maxBytes} bytes of
 * UTF-8 in all (older lines go first).
 */
export const TASK_LOG_TAIL = { maxLines: 200, maxBytes: 64 * 1024 } as const;

function lineCount(text: string): number {
  if (text === '') return 0;
  let count = 1;
  for (let index = text.indexOf('\n'); index !== -1; index = text.indexOf('\n', index + 1)) count += 1;
  return text.endsWith('\n') ? count - 1 : count;
}

/** A task's log tail as text, one line per `\n`, within {@link TASK_LOG_TAIL}. */
export const taskLogTailSchema = z
  .string()
  .refine((text) => Buffer.byteLength(text, 'utf8') <= TASK_LOG_TAIL.maxBytes, {
    message: `a log tail holds at most ${TASK_LOG_TAIL.maxBytes} bytes`,
  })
  .refine((text) => lineCount(text) <= TASK_LOG_TAIL.maxLines, {
    message: `a log tail holds at most ${TASK_LOG_TAIL.maxLines} lines`,
  });
