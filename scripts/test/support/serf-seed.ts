import { freePort } from '@wlm/commons';
import { spawn } from 'node:child_process';
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

  /** Starts an agent named `name`; `join` makes it join the cluster of another agent. */
  static async start(name: string, join?: SerfSeed): Promise<SerfSeed> {
    const bindPort = await freePort('127.0.0.1', true);
    const rpcPort = await freePort('127.0.0.1', false);
    const child = spawn(
      'serf',
      [
        'agent',
        `-node=${name}`,
        `-bind=127.0.0.1:${bindPort}`,
        `-rpc-addr=127.0.0.1:${rpcPort}`,
        '-log-level=warn',
        ...(join === undefined ? [] : [`-join=${join.bindAddr}`]),
      ],
      { stdio: 'ignore' },
    );
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const deadline = Date.now() + 10_000;
    while (!(await accepts(rpcPort))) {
      if (Date.now() > deadline || child.exitCode !== null) {
        child.kill('SIGKILL');
        throw new Error(`serf agent ${name} did not open its RPC port ${rpcPort}`);
      }
      await sleep(50);
    }
    return new SerfSeed(child, `127.0.0.1:${bindPort}`, `127.0.0.1:${rpcPort}`, exited);
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
