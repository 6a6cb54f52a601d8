import { freePort, writeSerfAgentConfig } from '@wlm/commons';
import type { SerfAgentSettings } from '@wlm/commons';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join as joinPath } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * A `serf agent` of one test file's own, on free ports: the cluster its workers join and the agent
 * its schedulers read. Not the stack's agent, so workers of other test files never mix in.
 */
export class SerfSeed {
  private constructor(
    private readonly child: ChildProcess,
    /** Gossip address: what workers `--join`. */
    readonly bindAddr: string,
    /** RPC address: what a scheduler reads (`WLM_SERF_RPC_ADDR`). */
    readonly rpcAddr: string,
    private readonly exited: Promise<void>,
  ) {}

  /**
   * Starts an agent named `name`, configured as wlm configures the agents it starts (timings, and
   * the keys of `settings`, in a config file); `join` makes it join the cluster of another agent;
   * `bindHost` is where its gossip listens (default 127.0.0.1; RPC stays on 127.0.0.1).
   */
  static async start(
    name: string,
    join?: SerfSeed,
    options: { bindHost?: string; settings?: SerfAgentSettings } = {},
  ): Promise<SerfSeed> {
    const bindHost = options.bindHost ?? '127.0.0.1';
    const bindPort = await freePort(bindHost, true);
    const rpcPort = await freePort('127.0.0.1', false);
    const configDir = mkdtempSync(joinPath(tmpdir(), 'serf-seed-'));
    const configFile = writeSerfAgentConfig(joinPath(configDir, 'agent.json'), options.settings ?? {});
    const child = spawn(
      'serf',
      [
        'agent',
        `-node=${name}`,
        `-bind=${bindHost}:${bindPort}`,
        `-rpc-addr=127.0.0.1:${rpcPort}`,
        `-config-file=${configFile}`,
        '-log-level=warn',
        ...(join === undefined ? [] : [`-join=${join.bindAddr}`]),
      ],
      { stdio: 'ignore' },
    );
    const exited = new Promise<void>((resolve) =>
      child.once('exit', () => {
        rmSync(configDir, { recursive: true, force: true });
        resolve();
      }),
    );
    const deadline = Date.now() + 10_000;
    while (!(await accepts(rpcPort))) {
      if (Date.now() > deadline || child.exitCode !== null) {
        child.kill('SIGKILL');
        throw new Error(`serf agent ${name} did not open its RPC port ${rpcPort}`);
      }
      await sleep(50);
    }
    return new SerfSeed(child, `${bindHost}:${bindPort}`, `127.0.0.1:${rpcPort}`, exited);
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    await this.exited;
  }
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
