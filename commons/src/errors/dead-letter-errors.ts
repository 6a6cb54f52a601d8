import { WlmError } from './wlm-error';

/** A dead letter was named (`wlm dlq`, the console) that is not (or no longer) in the queue. */
export class DeadLetterNotFoundError extends WlmError {
  override readonly name = 'DeadLetterNotFoundError';

  constructor(
    readonly id: string,
    readonly queue: string,
  ) {
    super(
      'DEAD_LETTER_NOT_FOUND',
      `no dead letter ${id} in ${queue}: \`wlm dlq list\` or the console's Dead letters page shows the ids (a replay or purge may have removed it)`,
    );
  }
}

/** A dead letter that cannot go back: nothing says where it came from, or that queue is gone. */
export class DeadLetterNotReplayableError extends WlmError {
  override readonly name = 'DeadLetterNotReplayableError';

  constructor(
    readonly id: string,
    problem: string,
    options: { cause?: unknown } = {},
  ) {
    super(
      'DEAD_LETTER_NOT_REPLAYABLE',
      `cannot replay dead letter ${id}: ${problem}; it stays in the dead-letter queue`,
      options,
    );
  }
}
