import { WlmError } from './wlm-error';

/** A configuration value is missing or malformed; `key` names it as the user wrote it. */
export class ConfigError extends WlmError {
  override readonly name = 'ConfigError';

  constructor(
    readonly key: string,
    message: string,
  ) {
    super('CONFIG_INVALID', message);
  }
}
