import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfig } from '@wlm/commons/config';
import { createLogger } from '@wlm/commons/logging';
import { freePort, portOpen } from '@wlm/commons/net';
import { SerfRpcClient, writeSerfAgentConfig } from '@wlm/commons/serf';
import type { WlmConfig } from '@wlm/commons/config';
import type { SerfAgentSettings } from '@wlm/commons/serf';
import { stackPaths } from '../../src';
import { serfComponent } from '../../src/stack/serf';

/*
 * The stack's Serf agent is secure from its first start: `wlm stack up` generates a gossip key and
 * an RPC auth key under the stack dir, the agent reads them from its config file (never from its
 * command line), every wlm service finds them there, and an agent without the key cannot join.
 * Runs the stack's own start-up code on a stack dir and ports of its own, not the shared stack.
 */

jest.setTimeout(60_000);

const logger = createLogger({ component: 'serf-keys-test', level: 'silent', pretty: false });
let dir: string;
let config: WlmConfig;
const agents: ChildProcess[] = [];

async function configFor(stackDir: string): Promise<WlmConfig> {
  return loadConfig({
    env: {
      WLM_STACK_DIR: stackDir,
      WLM_SERF_BIND_ADDR: `127.0.0.1:${await freePort('127.0.0.1', true)}`,
      WLM_SERF_RPC_ADDR: `127.0.0.1:${await freePort('127.0.0.1', false)}`,
    },
  });
}

/** Another agent of this machine, configured with `settings`; resolves with its RPC address. */
async function otherAgent(name: string, settings: SerfAgentSettings): Promise<string> {
  const bind = await freePort('127.0.0.1', true);
  const rpc = await freePort('127.0.0.1', false);
  const file = writeSerfAgentConfig(join(dir, `${name}.json`), settings);
  const child = spawn(
    'serf',
    [
      'agent',
      `-node=${name}`,
      `-bind=127.0.0.1:${bind}`,
      `-rpc-addr=127.0.0.1:${rpc}`,
      `-config-file=${file}`,
    ],
    { stdio: 'ignore' },
  );
  agents.push(child);
  while (!(await portOpen('127.0.0.1', rpc))) await sleep(50);
  return `127.0.0.1:${rpc}`;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'wlm-stack-serf-'));
  config = await configFor(dir);
  await serfComponent({ config, paths: stackPaths(config) }).start(() => undefined);
});

afterAll(async () => {
  const pid = Number(readFileSync(join(stackPaths(config).runDir, 'serf.pid'), 'utf8').trim());
  if (pid > 0) process.kill(pid, 'SIGKILL');
  for (const agent of agents) agent.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

describe('the stack Serf agent', () => {
  it('generates its keys on first start, owner-readable only, and keeps them off its command line', () => {
    const keys = loadConfig({ env: { WLM_STACK_DIR: dir } }).serf;
    expect(Buffer.from(keys.encryptKey ?? '', 'base64')).toHaveLength(32);
    expect(keys.rpcAuthKey).toMatch(/^[0-9a-f]{48}$/);
    for (const file of ['gossip.key', 'rpc-auth.key', 'agent.json']) {
      expect(statSync(join(dir, 'serf', file)).mode & 0o077).toBe(0);
    }
    const pid = readFileSync(join(stackPaths(config).runDir, 'serf.pid'), 'utf8').trim();
    const commandLine = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    expect(commandLine).toContain('-config-file=');
    expect(commandLine).not.toContain(keys.encryptKey);
    expect(commandLine).not.toContain(keys.rpcAuthKey);
  });

  it('answers RPC only with the key every service reads from the stack dir', async () => {
    const { serf } = loadConfig({ env: { WLM_STACK_DIR: dir, WLM_SERF_RPC_ADDR: config.serf.rpcAddr } });
    const authed = await SerfRpcClient.connect({
      addr: serf.rpcAddr,
      authKey: serf.rpcAuthKey ?? '',
      logger,
    });
    await expect(authed.members()).resolves.toHaveLength(1);
    await authed.close();
    const anonymous = await SerfRpcClient.connect({ addr: serf.rpcAddr, logger, reconnect: false }).catch(
      (error: unknown) => error,
    );
    if (anonymous instanceof SerfRpcClient) {
      await expect(anonymous.members()).rejects.toThrow();
      await anonymous.close();
    } else {
      expect(anonymous).toBeInstanceOf(Error);
    }
  });

  it('lets in an agent with the gossip key and keeps out one without it', async () => {
    const { serf } = loadConfig({ env: { WLM_STACK_DIR: dir } });
    const keyed = await SerfRpcClient.connect({
      addr: await otherAgent('keyed', { encryptKey: serf.encryptKey }),
      logger,
    });
    await expect(keyed.join([config.serf.bindAddr])).resolves.toBe(1);
    await keyed.close();
    const keyless = await SerfRpcClient.connect({ addr: await otherAgent('keyless', {}), logger });
    await expect(keyless.join([config.serf.bindAddr])).rejects.toThrow();
    await keyless.close();
  });
});
