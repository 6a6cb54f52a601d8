import { WlmError } from './wlm-error';

/** A plugin module could not be found, loaded, or does not export a plugin; the message says which. */
export class PluginModuleError extends WlmError {
  override readonly name = 'PluginModuleError';

  constructor(message: string, options: { cause?: unknown } = {}) {
    super('PLUGIN_MODULE_INVALID', message, options);
  }
}
