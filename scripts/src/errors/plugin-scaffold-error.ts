import { WlmError } from '@wlm/commons/errors';

/** `wlm plugin new` cannot create the package: outside a wlm checkout, a bad name, or it exists. */
export class PluginScaffoldError extends WlmError {
  override readonly name = 'PluginScaffoldError';

  constructor(message: string) {
    super('PLUGIN_SCAFFOLD_FAILED', message);
  }
}
