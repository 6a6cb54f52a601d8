import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../errors/config-error';
import type { WlmConfig } from './config-schema';
import { stackDirOf } from './project-root';

/** Where `wlm stack up` keeps the keys it generates for its Serf cluster, under the stack dir. */
export const STACK_SERF_KEY_FILES = {
  encryptKey: join('serf', 'gossip.key'),
  rpcAuthKey: join('serf', 'rpc-auth.key'),
} as const;

type KeyName = keyof typeof STACK_SERF_KEY_FILES;

/**
 * Fills in the Serf keys from files: `serf.encryptKeyFile` / `serf.rpcAuthKeyFile` when set (a
 * missing file is an error), else the files `wlm stack up` generated under the stack dir when they
 * exist — so every service and agent of a local installation uses the stack's keys without anyone
 * copying them, and none travels on a command line. A key given as a value wins.
 */
export function withSerfKeys(config: WlmConfig, cwd: string = process.cwd()): WlmConfig {
  const stackDir = stackDirOf(config, cwd);
  const resolve = (
    name: KeyName,
    file: string | undefined,
    value: string | undefined,
  ): string | undefined => {
    if (value !== undefined) return value;
    if (file !== undefined) return readKey(`serf.${name}File`, file);
    const stackFile = join(stackDir, STACK_SERF_KEY_FILES[name]);
    return existsSync(stackFile) ? readKey(`serf.${name}File`, stackFile) : undefined;
  };
  const encryptKey = resolve('encryptKey', config.serf.encryptKeyFile, config.serf.encryptKey);
  const rpcAuthKey = resolve('rpcAuthKey', config.serf.rpcAuthKeyFile, config.serf.rpcAuthKey);
  return {
    ...config,
    serf: {
      ...config.serf,
      ...(encryptKey === undefined ? {} : { encryptKey }),
      ...(rpcAuthKey === undefined ? {} : { rpcAuthKey }),
    },
  };
}

function readKey(key: string, file: string): string {
  try {
    const text = readFileSync(file, 'utf8').trim();
    if (text === '') throw new Error('the file is empty');
    return text;
  } catch (error) {
    throw new ConfigError(
      key,
      `config ${key}: cannot read the key file ${file}: ${(error as Error).message}`,
    );
  }
}
