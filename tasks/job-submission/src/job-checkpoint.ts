import type { JsonValue } from '@wlm/commons/plugin';
import { z } from 'zod';
import type { SubmittedJob } from './batch';

/**
 * What a round of `job-submission` saves for the next: the job, how long to wait before polling it
 * again, and since when the resource has not answered (absent while it answers).
 */
export const jobCheckpointSchema = z.object({
  job: z.object({ id: z.string().min(1), scriptPath: z.string().min(1) }),
  pollMs: z.int().min(1),
  unreachableSince: z.iso.datetime({ offset: true }).optional(),
  /** The last state seen, so a round reports only changes. */
  lastState: z.string().optional(),
});

export type JobCheckpoint = z.infer<typeof jobCheckpointSchema>;

/** A {@link JobCheckpoint}, as the JSON a continuation carries. */
export function jobCheckpoint(
  job: SubmittedJob,
  pollMs: number,
  lastState?: string,
  unreachableSince?: string,
): JsonValue {
  const saved: Record<string, JsonValue> = { job: { id: job.id, scriptPath: job.scriptPath }, pollMs };
  if (lastState !== undefined) saved['lastState'] = lastState;
  if (unreachableSince !== undefined) saved['unreachableSince'] = unreachableSince;
  return saved;
}
