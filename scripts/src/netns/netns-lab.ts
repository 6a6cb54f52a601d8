import { execFile, spawn } from 'node:child_process';
import type { ChildProcess, SpawnOptions } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { TcpForwarder } from './tcp-forwarder';

const run = promisify(execFile);

/** One simulated host: a network namespace joined to the lab's bridge by a veth pair. */
export interface LabHost {
  /** `h1`, `h2`, … */
  readonly name: string;
  readonly netns: string;
  /** Its address on the lab network (a private range used only by the lab). */
  readonly address: string;
  /** The host-side end of its veth pair: down is a cut link. */
  readonly link: string;
}

/** What a lab leaves on the machine, written before it is created so that a crashed run's is removed. */
interface LabRecord {
  readonly pid: number;
  readonly netns: string[];
  readonly links: string[];
}

/** Records of labs, one file each; a record whose process is gone belongs to a run that crashed. */
const RECORDS_DIR = join(tmpdir(), 'wlm-netns-labs');

/**
 * Several hosts on one machine, for tests and benchmarks that need a real network between wlm's
 * processes: each host is a network namespace (`ip netns`) with its own loopback and an address on
 * a bridge in this machine's namespace, which has the `gateway` and `servicesAddress` addresses on
 * the same network. Servers that listen on loopback here (the local stack's RabbitMQ) are reached
 * from the hosts through {@link forward}; an agent that needs UDP (Serf) binds the gateway address
 * itself.
 *
 * Faults: {@link cutLink} takes a host's link down (nothing in or out, as an unplugged cable),
 * {@link isolate} drops what a host sends to some addresses (a partition that spares the others).
 * {@link destroy} removes everything, processes in the namespaces included; a lab left by a run that
 * crashed is removed by the next {@link NetnsLab.create}. Needs root (CAP_NET_ADMIN) and `ip`.
 */
export class NetnsLab {
  private readonly forwarders: TcpForwarder[] = [];
  private destroyed: Promise<void> | undefined;

  private constructor(
    private readonly id: string,
    /** The bridge: this machine's side of the lab network. */
    readonly bridge: string,
    /** This machine's address on the lab network: where its Serf agents bind. */
    readonly gateway: string,
    /**
     * A second address of this machine on the lab network, where {@link forward} listens: a host
     * can be cut off from the gateway (its Serf peers here) but not from the services.
     */
    readonly servicesAddress: string,
    readonly hosts: readonly LabHost[],
  ) {}

  /** Whether this process may create labs: root, with `ip` on the PATH. */
  static async available(): Promise<boolean> {
    if (process.getuid?.() !== 0) return false;
    return run('ip', ['-V']).then(
      () => true,
      () => false,
    );
  }

  /** Creates a lab of `hosts` hosts, after removing what crashed runs left. */
  static async create(hosts: number): Promise<NetnsLab> {
    await NetnsLab.removeStale();
    const id = randomBytes(3).toString('hex');
    const subnet = await freeSubnet();
    const lab = new NetnsLab(
      id,
      `wlb${id}`,
      `${subnet}.1`,
      `${subnet}.2`,
      Array.from({ length: hosts }, (_, i) => ({
        name: `h${i + 1}`,
        netns: `wlm-${id}-h${i + 1}`,
        address: `${subnet}.${11 + i}`,
        link: `wlv${id}${i + 1}`,
      })),
    );
    mkdirSync(RECORDS_DIR, { recursive: true });
    const record: LabRecord = {
      pid: process.pid,
      netns: lab.hosts.map((host) => host.netns),
      links: [lab.bridge, ...lab.hosts.map((host) => host.link)],
    };
    writeFileSync(lab.recordFile, JSON.stringify(record));
    try {
      await lab.build();
    } catch (error) {
      await lab.destroy();
      throw error;
    }
    return lab;
  }

  /** Removes the labs of runs whose process is gone. */
  static async removeStale(): Promise<void> {
    let files: string[];
    try {
      files = readdirSync(RECORDS_DIR);
    } catch {
      return;
    }
    for (const file of files) {
      const path = join(RECORDS_DIR, file);
      let record: LabRecord;
      try {
        record = JSON.parse(readFileSync(path, 'utf8')) as LabRecord;
      } catch {
        rmSync(path, { force: true });
        continue;
      }
      if (processAlive(record.pid)) continue;
      await removeLab(record);
      rmSync(path, { force: true });
    }
  }

  host(name: string): LabHost {
    const host = this.hosts.find((h) => h.name === name);
    if (host === undefined) throw new Error(`no host ${name} in this lab`);
    return host;
  }

  /** Runs a command on a host (inside its namespace). */
  spawn(host: LabHost, command: string, args: readonly string[], options: SpawnOptions = {}): ChildProcess {
    return spawn('ip', ['netns', 'exec', host.netns, command, ...args], options);
  }

  /**
   * Makes `127.0.0.1:port`-style servers of this machine reachable from the hosts: resolves with the
   * `host:port` they connect to.
   */
  async forward(targetHost: string, targetPort: number): Promise<string> {
    const forwarder = await TcpForwarder.start(this.servicesAddress, targetHost, targetPort);
    this.forwarders.push(forwarder);
    return forwarder.address;
  }

  /** Takes the host's link down: it can reach nobody and nobody reaches it. */
  async cutLink(host: LabHost): Promise<void> {
    await ip('link', 'set', host.link, 'down');
  }

  async restoreLink(host: LabHost): Promise<void> {
    await ip('link', 'set', host.link, 'up');
  }

  /** Drops everything `host` sends to `addresses` (blackhole routes): a partition from those only. */
  async isolate(host: LabHost, addresses: readonly string[]): Promise<void> {
    for (const address of addresses) await ip('-n', host.netns, 'route', 'add', 'blackhole', `${address}/32`);
  }

  /** Undoes {@link isolate}. */
  async heal(host: LabHost, addresses: readonly string[]): Promise<void> {
    for (const address of addresses) await ip('-n', host.netns, 'route', 'del', 'blackhole', `${address}/32`);
  }

  /** Kills every process on the hosts and removes the namespaces, links and forwarders. Idempotent. */
  destroy(): Promise<void> {
    this.destroyed ??= (async () => {
      await Promise.allSettled(this.forwarders.map((forwarder) => forwarder.close()));
      await removeLab({
        pid: process.pid,
        netns: this.hosts.map((host) => host.netns),
        links: [this.bridge, ...this.hosts.map((host) => host.link)],
      });
      rmSync(this.recordFile, { force: true });
    })();
    return this.destroyed;
  }

  private get recordFile(): string {
    return join(RECORDS_DIR, `${this.id}.json`);
  }

  private async build(): Promise<void> {
    await ip('link', 'add', this.bridge, 'type', 'bridge');
    await ip('addr', 'add', `${this.gateway}/24`, 'dev', this.bridge);
    await ip('addr', 'add', `${this.servicesAddress}/24`, 'dev', this.bridge);
    await ip('link', 'set', this.bridge, 'up');
    for (const [index, host] of this.hosts.entries()) {
      const peer = `wlp${this.id}${index + 1}`;
      await ip('netns', 'add', host.netns);
      await ip('link', 'add', host.link, 'type', 'veth', 'peer', 'name', peer);
      await ip('link', 'set', peer, 'netns', host.netns);
      await ip('-n', host.netns, 'link', 'set', peer, 'name', 'eth0');
      await ip('-n', host.netns, 'addr', 'add', `${host.address}/24`, 'dev', 'eth0');
      await ip('-n', host.netns, 'link', 'set', 'eth0', 'up');
      await ip('-n', host.netns, 'link', 'set', 'lo', 'up');
      await ip('link', 'set', host.link, 'master', this.bridge);
      await ip('link', 'set', host.link, 'up');
    }
  }
}

async function ip(...args: string[]): Promise<void> {
  try {
    await run('ip', args);
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr?.trim() ?? '';
    throw new Error(`ip ${args.join(' ')} failed: ${stderr || (error as Error).message}`, { cause: error });
  }
}

async function removeLab(record: LabRecord): Promise<void> {
  for (const netns of record.netns) {
    const pids = await run('ip', ['netns', 'pids', netns]).then(
      ({ stdout }) => stdout.split(/\s+/).filter((pid) => pid !== ''),
      () => [],
    );
    for (const pid of pids) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        // Gone already.
      }
    }
    await run('ip', ['netns', 'del', netns]).catch(() => undefined);
  }
  // Deleting a namespace deletes its veth ends and so the pairs; the bridge and any leftover go here.
  for (const link of record.links) await run('ip', ['link', 'del', link]).catch(() => undefined);
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A `10.213.N` /24 that no interface of this machine uses yet. */
async function freeSubnet(): Promise<string> {
  const { stdout } = await run('ip', ['-o', '-4', 'addr', 'show']);
  for (let attempt = 0; attempt < 50; attempt += 1) {
    const subnet = `10.213.${1 + Math.floor(Math.random() * 250)}`;
    if (!stdout.includes(` ${subnet}.`)) return subnet;
  }
  throw new Error('no free 10.213.N.0/24 subnet for a network lab');
}
