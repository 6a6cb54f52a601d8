import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { STACK_SERF_KEY_FILES } from '@wlm/commons/config';
import { parseSerfAddr, writeSerfAgentConfig } from '@wlm/commons/serf';
import type { SerfAgentSettings } from '@wlm/commons/serf';
import { StackComponentError } from '../errors/stack-component-error';
import { ensureDebianPackage } from './debian';
import { runCommand } from './exec';
import { launchServer } from './launch-server';
import { componentLogFile, componentPidFile } from './paths';
import type { ComponentEnv, Reporter, StackComponent } from './types';

/** The node name of the cluster's first agent; workers and the scheduler join through it. */
export const STACK_SERF_NODE = 'wlm-stack';

/**
 * Command-line arguments of the stack's Serf agent (pure, for tests): addresses only. Its keys and
 * timings are in `configFile` — a command line is readable by every user of the host.
 */
export function serfAgentArgs(
  serf: { readonly bindAddr: string; readonly rpcAddr: string },
  configFile: string,
): string[] {
  return [
    'agent',
    `-node=${STACK_SERF_NODE}`,
    `-bind=${serf.bindAddr}`,
    `-rpc-addr=${serf.rpcAddr}`,
    `-config-file=${configFile}`,
  ];
}

/**
 * The stack cluster's keys: those configured (`serf.encryptKey[File]`, `serf.rpcAuthKey[File]`),
 * else the ones generated on the first start and kept under the stack dir (owner-only files), which
 * every wlm service then reads by default (`withSerfKeys`). Gossip is encrypted and RPC
 * authenticated from the first start on.
 */
export function ensureSerfKeys(
  stackDir: string,
  serf: { readonly encryptKey?: string | undefined; readonly rpcAuthKey?: string | undefined },
): SerfAgentSettings {
  const keyFile = (name: keyof typeof STACK_SERF_KEY_FILES, make: () => string): string => {
    const file = join(stackDir, STACK_SERF_KEY_FILES[name]);
    if (!existsSync(file)) {
      mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
      writeFileSync(file, `${make()}\n`, { mode: 0o600, flag: 'wx' });
    }
    return readFileSync(file, 'utf8').trim();
  };
  return {
    encryptKey: serf.encryptKey ?? keyFile('encryptKey', () => randomBytes(32).toString('base64')),
    rpcAuthKey: serf.rpcAuthKey ?? keyFile('rpcAuthKey', () => randomBytes(24).toString('hex')),
  };
}

/** The Serf agent every other agent of a local cluster joins; answers RPC on `serf.rpcAddr`. */
export function serfComponent({ config, paths }: ComponentEnv): StackComponent {
  const logFile = componentLogFile(paths, 'serf');
  const pidFile = componentPidFile(paths, 'serf');
  const address = parseSerfAddr(config.serf.rpcAddr);
  return {
    name: 'serf',
    address,
    logFile,
    pidFile,
    processMarker: `-node=${STACK_SERF_NODE}`,
    async start(report: Reporter) {
      await ensureDebianPackage({ component: 'serf', binary: 'serf', packageName: 'serf', logFile, report });
      const keys = ensureSerfKeys(paths.dir, config.serf);
      const configFile = writeSerfAgentConfig(join(paths.dir, 'serf', 'agent.json'), keys);
      await launchServer({
        component: 'serf',
        command: 'serf',
        args: serfAgentArgs(config.serf, configFile),
        address,
        logFile,
        pidFile,
        timeoutMs: 20_000,
        report,
      });
    },
    async version() {
      const result = await runCommand('serf', ['version']);
      const first = result.stdout.split('\n', 1)[0]?.trim();
      if (result.code !== 0 || !first)
        throw new StackComponentError('serf', '`serf version` failed', undefined);
      // Prints "Serf v0.8.2-dev" (upstream) or a bare "0.8.2-dev" (Debian); keep the version alone.
      return first.replace(/^Serf\s+/i, '');
    },
  };
}
