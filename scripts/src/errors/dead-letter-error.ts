import { WlmError } from '@wlm/commons';

/** `wlm dlq show|replay|purge ID` named a dead letter that is not (or no longer) in the queue. */
export class DeadLetterNotFoundError extends WlmError {
  override readonly name = 'DeadLetterNotFoundError';

  constructor(
    readonly id: string,
    readonly queue: string,
  ) {
    super(
      'DEAD_LETTER_NOT_FOUND',
      `no dead letter ${id} in ${queue}: \`wlm dlq list\` shows the ids (a replay or purge may have removed it)`,
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

/** A destructive command run without the flag that says the operator means it. */
export class ConfirmationRequiredError extends WlmError {
  override readonly name = 'ConfirmationRequiredError';

  constructor(message: string) {
    super('CONFIRMATION_REQUIRED', message);
  }
}
