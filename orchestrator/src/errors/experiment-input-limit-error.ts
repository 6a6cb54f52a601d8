import { WlmError } from '@wlm/commons/errors';

/**
 * A submission's inputs would render some task's params past a limit of the wire (too deep, too
 * large): that task could never be dispatched. Rejected before anything is stored; the API answers
 * 400 with every problem, each naming its task and the limit.
 */
export class ExperimentInputLimitError extends WlmError {
  override readonly name = 'ExperimentInputLimitError';

  constructor(
    readonly experimentType: string,
    /** e.g. `task "a": params rendered with the inputs nested deeper than 31 levels (the wire's limit)`. */
    readonly problems: readonly string[],
  ) {
    super(
      'EXPERIMENT_INPUT_INVALID',
      `the inputs do not fit experiment type ${JSON.stringify(experimentType)}: ${problems.join('; ')}`,
    );
  }
}
