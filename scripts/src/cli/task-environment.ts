import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CONFIG_ENVIRONMENT, ConfigError, inheritedEnvironment } from '@wlm/commons';
import type { WlmConfig } from '@wlm/commons';

/** What a worker's task processes run with, and the file to remove when the worker ends. */
export interface TaskEnvironment {
  readonly env: Readonly<Record<string, string>>;
  /** Removes the task config file; safe to call more than once. */
  remove(): void;
}

const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * The environment of a worker's task processes: the inherited variables (PATH, HOME, LANG, …),
 * the variables the operator declares (`--task-env`), the passphrase variables the compute
 * resources name, and `WLM_CONFIG` pointing at a file with only the settings tasks read — the
 * compute resources and the staging roots, where secrets are but never a secret. The worker's own config file
 * and `WLM_*` variables (broker, database, API tokens) never reach a task.
 */
export function taskEnvironment(
  config: WlmConfig,
  declared: readonly string[],
  source: NodeJS.ProcessEnv = process.env,
): TaskEnvironment {
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
  if (Object.keys(config.resources).length === 0 && config.staging.localRoots.length === 0) {
    return { env, remove: () => undefined };
  }
  const dir = mkdtempSync(join(tmpdir(), 'wlm-task-config-'));
  const file = join(dir, 'config.json');
  writeFileSync(
    file,
    JSON.stringify({ resources: config.resources, staging: config.staging, log: config.log }),
    { mode: 0o600 },
  );
  env['WLM_CONFIG'] = file;
  return { env, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
