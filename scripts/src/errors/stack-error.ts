import { WlmError } from '@wlm/commons/errors';
import type { StackComponentError } from './stack-component-error';

/** `stack up` finished with at least one component not running; `failures` names each one. */
export class StackError extends WlmError {
  override readonly name = 'StackError';

  constructor(readonly failures: readonly StackComponentError[]) {
    const noun = failures.length === 1 ? 'component' : 'components';
    super(
      'STACK_COMPONENT_FAILED',
      [
        `${failures.length} ${noun} of the local stack did not start:`,
        ...failures.map((f) => `  ${f.message}`),
      ].join('\n'),
    );
  }
}
