import { WlmError } from '@wlm/commons/errors';

/** The orchestrator's API did not answer at all (nothing listens there, or the network is down). */
export class ApiUnreachableError extends WlmError {
  override readonly name = 'ApiUnreachableError';

  constructor(
    readonly url: string,
    cause: unknown,
  ) {
    super(
      'API_UNREACHABLE',
      `the orchestrator is not reachable at ${url}: start it with \`wlm orchestrator\`, or point ` +
        'WLM_HTTP_HOST / WLM_HTTP_PORT at a running one',
      { cause, retryable: true },
    );
  }
}
