import { failureCodeInfo, taskEventSchema } from '@wlm/commons/wire';
import type { TaskEvent } from '@wlm/commons/wire';
import { SCHEDULER_FAILURE_CODES, isFromWorker } from '../../../src/service/scheduler-messages';

/*
 * The scheduler's own FAILED events come back through the queue it consumes workers' events from; it
 * tells them apart by their code's owner in the failure-code registry.
 */

/** A FAILED event; `workerId` null for one about a task that never reached a worker. */
function failed(errorCode: string | undefined, workerId: string | null = 'w1'): TaskEvent {
  return taskEventSchema.parse({
    v: 1,
    state: 'FAILED',
    experimentId: 'exp-1',
    run: 1,
    taskId: 't',
    attempt: 1,
    at: '2026-01-01T00:00:00.000Z',
    reason: 'failed',
    retryable: true,
    ...(errorCode === undefined ? {} : { errorCode }),
    ...(workerId === null ? {} : { workerId }),
  });
}

describe('the scheduler failure codes', () => {
  it("are registered as the scheduler's", () => {
    for (const code of Object.values(SCHEDULER_FAILURE_CODES))
      expect(failureCodeInfo(code)?.owner).toBe('scheduler');
    expect(failureCodeInfo(SCHEDULER_FAILURE_CODES.retriesExhausted)?.retryable).toBe(false);
  });

  it("mark the scheduler's own FAILED events, which carry a worker id yet come from no worker", () => {
    expect(isFromWorker(failed(SCHEDULER_FAILURE_CODES.workerLost))).toBe(false);
    expect(isFromWorker(failed(SCHEDULER_FAILURE_CODES.retriesExhausted))).toBe(false);
    expect(isFromWorker(failed('TASK_PLUGIN_ERROR'))).toBe(true);
    expect(isFromWorker(failed('A_PLUGIN_OWN_CODE'))).toBe(true);
    expect(isFromWorker(failed(undefined))).toBe(true);
    expect(isFromWorker(failed('TASK_PLUGIN_ERROR', null))).toBe(false);
  });
});
