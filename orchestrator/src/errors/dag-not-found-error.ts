import { WlmError } from '@wlm/commons/errors';

/** No master DAG is stored for this experiment type (or not this version). The API answers 404. */
export class DagNotFoundError extends WlmError {
  override readonly name = 'DagNotFoundError';

  constructor(
    readonly experimentType: string,
    readonly version?: number,
  ) {
    super(
      'DAG_NOT_FOUND',
      version === undefined
        ? `no DAG is defined for experiment type ${JSON.stringify(experimentType)}; ` +
            'put one first (wlm dag put FILE)'
        : `experiment type ${JSON.stringify(experimentType)} has no version ${version}`,
    );
  }
}
