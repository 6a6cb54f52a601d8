import { WlmError } from '@wlm/commons/errors';
import type { ComponentName, ToolName } from '../stack/types';

/**
 * One component of the local stack could not be installed, started or provisioned. The message says
 * what went wrong in words a user can act on; `logFile` is where the details are.
 */
export class StackComponentError extends WlmError {
  override readonly name = 'StackComponentError';

  constructor(
    readonly component: ComponentName | ToolName,
    readonly problem: string,
    readonly logFile: string | undefined,
    options: { cause?: unknown } = {},
  ) {
    super(
      'STACK_COMPONENT_FAILED',
      logFile === undefined ? `${component}: ${problem}` : `${component}: ${problem} (see ${logFile})`,
      options,
    );
  }
}
