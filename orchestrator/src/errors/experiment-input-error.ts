import { WlmError } from '@wlm/commons/errors';

/**
 * A submission does not give the inputs its DAG refers to (`{{inputs.<name>}}`). Rejected before
 * anything is stored, rather than failing a task hours later. The API answers 400.
 */
export class ExperimentInputError extends WlmError {
  override readonly name = 'ExperimentInputError';

  constructor(
    readonly experimentType: string,
    /** The missing input names, each with where the DAG uses it. */
    readonly missing: readonly { name: string; usedBy: string }[],
  ) {
    super(
      'EXPERIMENT_INPUT_INVALID',
      `experiment type ${JSON.stringify(experimentType)} needs the input${missing.length === 1 ? '' : 's'} ` +
        missing.map(({ name, usedBy }) => `${JSON.stringify(name)} (used by ${usedBy})`).join(', ') +
        `; give ${missing.length === 1 ? 'it' : 'them'} in "inputs" (wlm submit --input name=value)`,
    );
  }
}
