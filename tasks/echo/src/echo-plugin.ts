import { setTimeout as sleep } from 'node:timers/promises';
import { TaskFailure, definePlugin } from '@wlm/commons/plugin';
import { z } from 'zod';

/** The code of the failures `params.failTimes` asks for. */
export const ECHO_INJECTED_FAILURE = 'ECHO_INJECTED_FAILURE';

// Loose: every other param is passed through untouched, since echoing them is the point.
const inputSchema = z.looseObject({
  sleepMs: z.number().int().nonnegative().optional(),
  failTimes: z.number().int().nonnegative().optional(),
});

export type EchoParams = z.output<typeof inputSchema>;

/** `total` ms in at most four slices of whole ms. */
function slicesOf(total: number): number[] {
  const count = Math.min(4, total);
  const base = Math.floor(total / count);
  return Array.from({ length: count }, (_, index) =>
    index === count - 1 ? total - base * (count - 1) : base,
  );
}

export const plugin = definePlugin({
  name: 'echo',
  version: '0.1.0',
  description: 'Returns its params as outputs; params.sleepMs waits, params.failTimes fails early attempts',
  inputSchema,
  async run(ctx, signal): Promise<EchoParams> {
    const { sleepMs, failTimes } = ctx.params;
    ctx.logger.info({ attempt: ctx.attempt }, 'echo started');
    if (sleepMs !== undefined && sleepMs > 0) {
      // In a few slices, so that the wait shows as progress and in the task's log.
      let slept = 0;
      for (const slice of slicesOf(sleepMs)) {
        // Rethrow the signal's own reason rather than the timer's generic AbortError.
        await sleep(slice, undefined, { signal }).catch((error: unknown) => {
          signal.throwIfAborted();
          throw error;
        });
        slept += slice;
        ctx.progress(`slept ${slept} of ${sleepMs} ms`, Math.round((100 * slept) / sleepMs));
        ctx.logger.info({ slept }, 'echo still sleeping');
      }
    }
    signal.throwIfAborted();
    // Decided on the attempt number alone, so a retry on any worker behaves the same way.
    if (failTimes !== undefined && ctx.attempt <= failTimes) {
      throw TaskFailure.retryable(
        ECHO_INJECTED_FAILURE,
        `echo fails attempt ${ctx.attempt} of the first ${failTimes} on purpose (params.failTimes)`,
      );
    }
    return ctx.params;
  },
});
