import { setTimeout as sleep } from 'node:timers/promises';
import { TaskFailure, definePlugin } from '@wlm/commons';
import { z } from 'zod';

/** The code of the failures `params.failTimes` asks for. */
export const ECHO_INJECTED_FAILURE = 'ECHO_INJECTED_FAILURE';

// Loose: every other param is passed through untouched, since echoing them is the point.
const inputSchema = z.looseObject({
  sleepMs: z.number().int().nonnegative().optional(),
  failTimes: z.number().int().nonnegative().optional(),
});

export type EchoParams = z.output<typeof inputSchema>;

export const plugin = definePlugin({
  name: 'echo',
  version: '0.1.0',
  description: 'Returns its params as outputs; params.sleepMs waits, params.failTimes fails early attempts',
  inputSchema,
  async run(ctx, signal): Promise<EchoParams> {
    const { sleepMs, failTimes } = ctx.params;
    if (sleepMs !== undefined && sleepMs > 0) {
      // Rethrow the signal's own reason rather than the timer's generic AbortError.
      await sleep(sleepMs, undefined, { signal }).catch((error: unknown) => {
        signal.throwIfAborted();
        throw error;
      });
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
