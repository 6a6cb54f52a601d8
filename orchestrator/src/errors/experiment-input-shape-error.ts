import { WlmError } from '@wlm/commons/errors';
import type { InputShapeProblem } from '@wlm/commons/dag';

/**
 * A submission's inputs do not fit the shapes the DAG declares for them (or, undeclared, the default
 * rule): a user that starts with `-`, a path with `..`. Rejected before anything is stored; the API
 * answers 400 with every problem, each naming its field and rule.
 */
export class ExperimentInputShapeError extends WlmError {
  override readonly name = 'ExperimentInputShapeError';

  constructor(
    readonly experimentType: string,
    readonly problems: readonly InputShapeProblem[],
  ) {
    super(
      'EXPERIMENT_INPUT_INVALID',
      `the inputs do not fit experiment type ${JSON.stringify(experimentType)}: ` +
        problems.map((problem) => problem.message).join('; '),
    );
  }
}
