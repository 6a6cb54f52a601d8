import { CONFIG_ENVIRONMENT } from '@wlm/commons/config';
import { ConfigError } from '@wlm/commons/errors';
import { inheritedEnvironment } from '@wlm/commons/plugin';
import type { WlmConfig } from '@wlm/commons/config';

const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * The environment of a worker's task processes: the inherited variables (PATH, HOME, LANG, …),
 * the variables the operator declares (`--task-env`) and the passphrase variables the compute
 * resources name. The worker's config file and `WLM_*` variables (broker, database, API tokens)
 * never reach a task; the settings a task may use come in its context (`TaskSettings`).
 */
export function taskEnvironment(
  config: WlmConfig,
  declared: readonly string[],
  source: NodeJS.ProcessEnv = process.env,
): Record<string, string> {
  const env: Record<string, string> = inheritedEnvironment(source);
  for (const name of declared) {
    if (!VARIABLE_NAME.test(name)) {
      throw new ConfigError('task-env', `--task-env: "${name}" is not an environment variable name`);
    }
    if (name === 'WLM_CONFIG' || Object.hasOwn(CONFIG_ENVIRONMENT, name)) {
      throw new ConfigError(
        'task-env',
        `--task-env: ${name} is a wlm setting of the worker, which may hold its credentials; tasks never get it`,
      );
    }
  }
  const passphrases = Object.values(config.resources).flatMap((resource) =>
    resource.privateKeyPassphraseEnv === undefined ? [] : [resource.privateKeyPassphraseEnv],
  );
  for (const name of [...declared, ...passphrases]) {
    const value = source[name];
    if (value !== undefined) env[name] = value;
  }
  return env;
}
