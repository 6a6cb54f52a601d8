import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { StackComponentError } from '../errors/stack-component-error';
import { parseHostPort } from './address';
import { ensureDebianPackage } from './debian';
import { runCommand } from './exec';
import { launchServer } from './launch-server';
import { componentLogFile, componentPidFile } from './paths';
import type { ComponentEnv, Reporter, StackComponent } from './types';

/** The node name of the cluster's first agent; workers and the scheduler join through it. */
export const STACK_SERF_NODE = 'wlm-stack';

/**
 * Command-line arguments of the stack's Serf agent (pure, for tests). Serf has no flag for the RPC
 * auth key, only the `rpc_auth` field of a config file, so that key travels in `configFile`.
 */
export function serfAgentArgs(
  serf: { readonly bindAddr: string; readonly rpcAddr: string; readonly encryptKey?: string | undefined },
  configFile?: string,
): string[] {
  return [
    'agent',
    `-node=${STACK_SERF_NODE}`,
    `-bind=${serf.bindAddr}`,
    `-rpc-addr=${serf.rpcAddr}`,
    ...(serf.encryptKey === undefined ? [] : [`-encrypt=${serf.encryptKey}`]),
    ...(configFile === undefined ? [] : [`-config-file=${configFile}`]),
  ];
}

/** Writes the agent's config file holding the RPC auth key, readable by its owner only. */
function writeRpcAuthConfig(stackDir: string, rpcAuthKey: string): string {
  const file = join(stackDir, 'serf-agent.json');
  writeFileSync(file, JSON.stringify({ rpc_auth: rpcAuthKey }), { mode: 0o600 });
  return file;
}

/** The Serf agent every other agent of a local cluster joins; answers RPC on `serf.rpcAddr`. */
export function serfComponent({ config, paths }: ComponentEnv): StackComponent {
  const logFile = componentLogFile(paths, 'serf');
  const pidFile = componentPidFile(paths, 'serf');
  const address = parseHostPort(config.serf.rpcAddr);
  return {
    name: 'serf',
    address,
    logFile,
    pidFile,
    processMarker: `-node=${STACK_SERF_NODE}`,
    async start(report: Reporter) {
      await ensureDebianPackage({ component: 'serf', binary: 'serf', packageName: 'serf', logFile, report });
      const { rpcAuthKey } = config.serf;
      const configFile = rpcAuthKey === undefined ? undefined : writeRpcAuthConfig(paths.dir, rpcAuthKey);
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
