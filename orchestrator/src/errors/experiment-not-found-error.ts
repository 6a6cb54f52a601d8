import { WlmError } from '@wlm/commons/errors';

/** No experiment has this id. The API answers 404. */
export class ExperimentNotFoundError extends WlmError {
  override readonly name = 'ExperimentNotFoundError';

  constructor(readonly experimentId: string) {
    super('EXPERIMENT_NOT_FOUND', `no experiment has the id ${JSON.stringify(experimentId)}`);
  }
}
