import { WlmError } from './wlm-error';

/**
 * A `{{…}}` template in a task's params could not be filled in when the task became ready: an
 * experiment input or an upstream output it names does not exist. Not retryable — the same inputs
 * and outputs give the same result.
 */
export class TemplateResolutionError extends WlmError {
  override readonly name = 'TemplateResolutionError';

  constructor(
    /** The template as written, e.g. `{{inputs.msg}}`. */
    readonly template: string,
    /** Where in the params it sits, e.g. `params.files[0].src`. */
    readonly path: string,
    reason: string,
  ) {
    super('TEMPLATE_UNRESOLVED', `cannot resolve ${template} in ${path}: ${reason}`);
  }
}
