import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join as joinPath } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  SerfRpcClient,
  decodeAdvertisementTags,
  incarnationOf,
  loadConfig,
  writeSerfAgentConfig,
} from '@wlm/commons';
import type { SerfMember, WorkerAdvertisement } from '@wlm/commons';
import { freePort } from '@wlm/commons';

/**
 * A `serf agent` of the test's own on free ports: the cluster the workers under test join, and the
 * vantage point from which the test sees their adverts, as the scheduler would.
 */
export class SeedAgent {
  private constructor(
    private readonly child: ChildProcess,
    readonly bindAddr: string,
    readonly rpcAddr: string,
    readonly client: SerfRpcClient,
    private readonly exited: Promise<void>,
  ) {}

  /** Starts an agent; `join` makes it join an existing cluster through that gossip address. */
  static async start(name: string, join?: string): Promise<SeedAgent> {
    const bindPort = await freePort('127.0.0.1', true);
    const rpcPort = await freePort('127.0.0.1', false);
    // Configured as wlm configures its agents: timings, and the installation's keys, from a file.
    const configDir = mkdtempSync(joinPath(tmpdir(), 'wlm-test-seed-'));
    const { encryptKey, rpcAuthKey } = loadConfig().serf;
    const configFile = writeSerfAgentConfig(joinPath(configDir, 'agent.json'), { encryptKey, rpcAuthKey });
    const child = spawn(
      'serf',
      [
        'agent',
        `-node=${name}`,
        `-bind=127.0.0.1:${bindPort}`,
        `-rpc-addr=127.0.0.1:${rpcPort}`,
        `-config-file=${configFile}`,
        ...(join === undefined ? [] : [`-join=${join}`]),
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
    while (!(await open(rpcPort))) {
      if (Date.now() > deadline || child.exitCode !== null)
        throw new Error(`seed agent ${name} did not start`);
      await sleep(50);
    }
    const client = await SerfRpcClient.connect({
      addr: `127.0.0.1:${rpcPort}`,
      ...(rpcAuthKey === undefined ? {} : { authKey: rpcAuthKey }),
    });
    return new SeedAgent(child, `127.0.0.1:${bindPort}`, `127.0.0.1:${rpcPort}`, client, exited);
  }

  /** The member named `name`, or the latest process of worker `name` (its node is named with an incarnation). */
  async member(name: string): Promise<SerfMember | undefined> {
    const members = await this.client.members();
    const exact = members.find((member) => member.name === name);
    if (exact !== undefined) return exact;
    return members
      .filter((member) => incarnationOf(member.name, name) > 0)
      .sort((a, b) => incarnationOf(b.name, name) - incarnationOf(a.name, name))[0];
  }

  /** The advert of worker `name` as the cluster currently sees it. */
  async advert(name: string): Promise<WorkerAdvertisement | undefined> {
    const member = await this.member(name);
    return member === undefined || member.status !== 'alive'
      ? undefined
      : decodeAdvertisementTags(member.tags);
  }

  async stop(): Promise<void> {
    await this.client.close();
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    await this.exited;
  }
}

function open(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Polls `read` until `done` holds for its value; fails naming `what` and the last value. */
export async function eventually<T>(
  what: string,
  read: () => Promise<T> | T,
  done: (value: T) => boolean,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}; last seen: ${JSON.stringify(value)}`);
    await sleep(100);
  }
}
