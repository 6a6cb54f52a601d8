import { WlmError } from '@wlm/commons/errors';

/** The orchestrator answered, but not in the shape this CLI expects: most likely another version. */
export class ApiAnswerInvalidError extends WlmError {
  override readonly name = 'ApiAnswerInvalidError';

  constructor(
    readonly path: string,
    readonly problem: string,
  ) {
    super(
      'API_ANSWER_INVALID',
      `the orchestrator's answer to ${path} is not what this wlm expects (${problem}); are the CLI and the orchestrator the same version?`,
    );
  }
}
