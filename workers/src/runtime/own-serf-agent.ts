import { WORKER_DIED_EVENT } from '@wlm/commons/advertisement';
import { formatHostPort, freePort, portOpen } from '@wlm/commons/net';
import { writeSerfAgentConfig } from '@wlm/commons/serf';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { WlmError } from '@wlm/commons/errors';
import { TailBuffer } from '@wlm/commons/text';
import type { Logger } from '@wlm/commons/logging';

export interface OwnSerfAgentOptions {
  /** The Serf node name: the worker id and its incarnation (`workerNodeName`). */
  nodeName: string;
  /**
   * Where gossip listens: `host` (a free port is picked) or `host:port`. Default 127.0.0.1. RPC
   * always listens on 127.0.0.1: only this worker talks to its agent.
   */
  bind?: string;
  /** The address other agents reach this one at (`host` or `host:port`), when it is not `bind`'s. */
  advertise?: string;
  /** Base64 gossip key, when the cluster encrypts gossip. Given in the agent's config file. */
  encryptKey?: string;
  /** The RPC auth key the agent demands. Given in the agent's config file. */
  rpcAuthKey?: string;
  /** Default `serf` on the PATH. */
  binary?: string;
  logger: Logger;
  /** How long the agent may take to open its RPC port. Default 10,000. */
  startTimeoutMs?: number;
}

export interface AgentExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface OwnSerfAgentEvents {
  /** The agent process ended, on purpose or not. */
  exit: [exit: AgentExit];
}

/**
 * Runs the agent under a small shell that holds the worker's end of a pipe on fd 3: when the worker
 * dies in any way — even SIGKILL, which it cannot clean up after — the pipe closes and `read` sees
 * EOF. The watchdog then announces the death to the cluster (a user event, {@link WORKER_DIED_EVENT},
 * that reaches every agent in tens of milliseconds: the schedulers need not wait for Serf to suspect
 * a silent member), makes the agent leave gracefully (SIGINT) and kills it if it lingers. So the
 * cluster learns the worker is dead in well under a second instead of seeing a healthy-looking orphan
 * that keeps advertising free slots. (PR_SET_PDEATHSIG would be simpler, but `setpriv --pdeathsig`
 * does not work on every kernel we run on.)
 *
 * The agent's output reaches the worker through a FIFO and a forwarder that ignores SIGPIPE: written
 * straight to the worker's pipe, the agent would die of SIGPIPE with the worker, before it could
 * announce anything. The RPC address, the node name and the RPC auth key (`SERF_RPC_AUTH`, which
 * `serf event` reads) come in the environment, never on a command line. The shell exits with the
 * agent's status.
 */
const WATCHDOG_SCRIPT = [
  'exec 3<&0',
  'out="$WLM_SERF_DIR/output"',
  'mkfifo "$out" || exit 1',
  `(trap '' PIPE; while IFS= read -r line; do printf '%s\\n' "$line" 2>/dev/null; done) <"$out" &`,
  '"$0" "$@" >"$out" 2>&1 </dev/null &',
  'agent=$!',
  '(while read -r _ <&3; do :; done',
  ' "$0" event -coalesce=false -rpc-addr="$WLM_SERF_RPC_ADDR" "$WLM_DIED_EVENT" "$WLM_SERF_NODE" >/dev/null 2>&1',
  ' kill -INT "$agent" 2>/dev/null; sleep 5; kill -KILL "$agent" 2>/dev/null) &',
  'watchdog=$!',
  'wait "$agent"',
  'code=$?',
  'kill "$watchdog" 2>/dev/null',
  'exit "$code"',
].join('\n');

/** Ports can be taken between picking and binding; a few fresh picks cover that race. */
const START_ATTEMPTS = 3;
const OUTPUT_TAIL_CHARS = 4000;

/**
 * A `serf agent` child process of the worker, on free ports. Stop it with a graceful `leave` over RPC
 * first (the agent then exits by itself), then {@link stop}, which waits and kills it if needed.
 *
 * @example
 * ```ts
 * const agent = await OwnSerfAgent.start({ nodeName: 'w1', logger });
 * const serf = await SerfRpcClient.connect({ addr: agent.rpcAddr, logger });
 * await serf.join(['127.0.0.1:7946']);
 * await serf.leave();
 * await agent.stop();
 * ```
 */
export class OwnSerfAgent extends EventEmitter<OwnSerfAgentEvents> {
  /** Resolves when the agent process has ended. */
  readonly exited: Promise<AgentExit>;
  private exitValue: AgentExit | undefined;
  private stopping: Promise<void> | undefined;

  private constructor(
    private readonly child: ChildProcess,
    /** The agent's Serf node name. */
    readonly nodeName: string,
    readonly rpcAddr: string,
    readonly bindAddr: string,
    private readonly output: TailBuffer,
    private readonly log: Logger,
  ) {
    super();
    this.exited = new Promise((resolve) => {
      const settle = (exit: AgentExit): void => {
        if (this.exitValue !== undefined) return;
        this.exitValue = exit;
        // The watchdog's pipe has done its job; closing it lets nothing linger.
        child.stdin?.destroy();
        resolve(exit);
        this.emit('exit', exit);
      };
      child.once('exit', (code, signal) => settle({ code, signal }));
      child.on('error', (error) => {
        // Without a pid the spawn itself failed and no 'exit' follows.
        if (child.pid === undefined) settle({ code: 127, signal: null });
        else log.debug({ err: error }, 'serf agent process error');
      });
    });
    // The pipe breaks when the agent is gone; that is expected, not an error to crash on.
    child.stdin?.on('error', () => undefined);
  }

  /**
   * Starts an agent and resolves once its RPC port accepts connections.
   *
   * @throws WlmError (`SERF_UNAVAILABLE`) when `serf` is missing or the agent does not come up.
   */
  static async start(options: OwnSerfAgentOptions): Promise<OwnSerfAgent> {
    let lastError: unknown;
    for (let attempt = 1; attempt <= START_ATTEMPTS; attempt += 1) {
      try {
        return await OwnSerfAgent.startOnce(options);
      } catch (error) {
        lastError = error;
        if (!(error instanceof PortTakenError)) break;
        options.logger.debug({ attempt }, 'serf agent port was taken; trying other ports');
      }
    }
    throw lastError;
  }

  /** Whether the process is still running. */
  get running(): boolean {
    return this.exitValue === undefined;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** The last lines the agent printed, for error messages. */
  outputTail(): string {
    return this.output.toString();
  }

  /**
   * Waits up to `timeoutMs` for the agent to exit (after a `leave` it does by itself), then sends
   * SIGTERM, then SIGKILL. Idempotent.
   */
  stop(timeoutMs = 5_000): Promise<void> {
    this.stopping ??= this.doStop(timeoutMs);
    return this.stopping;
  }

  /** Kills the agent at once, as a crash would (the cluster sees it fail, not leave). */
  kill(): void {
    this.signalGroup('SIGKILL');
  }

  private async doStop(timeoutMs: number): Promise<void> {
    if (await this.exitsWithin(timeoutMs)) return;
    this.log.warn({ pid: this.pid }, 'serf agent did not exit after leaving; terminating it');
    this.signalGroup('SIGTERM');
    if (await this.exitsWithin(2_000)) return;
    this.signalGroup('SIGKILL');
    await this.exited;
  }

  private async exitsWithin(ms: number): Promise<boolean> {
    if (!this.running) return true;
    const timeout = new AbortController();
    const exited = await Promise.race([
      this.exited.then(() => true),
      sleep(ms, false, { signal: timeout.signal }).catch(() => false),
    ]);
    timeout.abort();
    return exited;
  }

  private signalGroup(signal: NodeJS.Signals): void {
    if (!this.running || this.child.pid === undefined) return;
    try {
      // The shell, the agent and the watchdog share a process group of their own (detached).
      process.kill(-this.child.pid, signal);
    } catch {
      this.child.kill(signal);
    }
  }

  private static async startOnce(options: OwnSerfAgentOptions): Promise<OwnSerfAgent> {
    const rpcHost = '127.0.0.1';
    const bind = await bindAddress(options.bind ?? rpcHost);
    const rpcPort = await freePort(rpcHost, false);
    const rpcAddr = `${rpcHost}:${rpcPort}`;
    const binary = options.binary ?? 'serf';
    // The keys go in a file only this user can read, in a directory of its own removed with the agent.
    const configDir = mkdtempSync(join(tmpdir(), 'wlm-serf-'));
    const configFile = writeSerfAgentConfig(join(configDir, 'agent.json'), {
      encryptKey: options.encryptKey,
      rpcAuthKey: options.rpcAuthKey,
    });
    const args = [
      'agent',
      `-node=${options.nodeName}`,
      `-bind=${bind}`,
      ...(options.advertise === undefined ? [] : [`-advertise=${options.advertise}`]),
      `-rpc-addr=${rpcAddr}`,
      `-config-file=${configFile}`,
      '-log-level=info',
    ];
    const log = options.logger.child({ serfAgent: options.nodeName });
    // Detached: a terminal's Ctrl-C goes to the worker only, which decides when its agent leaves.
    const child = spawn('sh', ['-c', WATCHDOG_SCRIPT, binary, ...args], {
      detached: true,
      stdio: ['pipe', 'pipe', 'pipe'],
      env: {
        ...process.env,
        WLM_SERF_RPC_ADDR: rpcAddr,
        WLM_SERF_NODE: options.nodeName,
        WLM_SERF_DIR: configDir,
        WLM_DIED_EVENT: WORKER_DIED_EVENT,
        ...(options.rpcAuthKey === undefined ? {} : { SERF_RPC_AUTH: options.rpcAuthKey }),
      },
    });
    child.once('exit', () => rmSync(configDir, { recursive: true, force: true }));
    const output = new TailBuffer(OUTPUT_TAIL_CHARS);
    relayLines(child, output, log);
    const agent = new OwnSerfAgent(child, options.nodeName, rpcAddr, bind, output, log);
    try {
      // The agent reads its config file at start, and the FIFO is open by now: neither is needed after.
      await agent.waitForRpc(rpcHost, rpcPort, options.startTimeoutMs ?? 10_000, binary);
    } catch (error) {
      agent.kill();
      await agent.exited;
      throw error;
    } finally {
      rmSync(configDir, { recursive: true, force: true });
    }
    log.info({ rpcAddr: agent.rpcAddr, bindAddr: agent.bindAddr, pid: child.pid }, 'serf agent started');
    return agent;
  }

  private async waitForRpc(host: string, port: number, timeoutMs: number, binary: string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (!this.running) throw this.startFailure(binary);
      if (await portOpen(host, port)) return;
      if (Date.now() > deadline) {
        throw new WlmError(
          'SERF_UNAVAILABLE',
          `the worker's serf agent did not open its RPC port ${host}:${port} within ${timeoutMs} ms; ` +
            `its output:\n${this.outputTail()}`,
        );
      }
      await sleep(50);
    }
  }

  private startFailure(binary: string): Error {
    const output = this.outputTail();
    if (/address already in use/i.test(output)) return new PortTakenError(output);
    if (this.exitValue?.code === 127) {
      return new WlmError(
        'SERF_UNAVAILABLE',
        `cannot run "${binary}": install Serf (Debian package serf; \`npx wlm stack up\` installs it) ` +
          'or pass --serf-rpc to use an agent already running on this host',
      );
    }
    return new WlmError(
      'SERF_UNAVAILABLE',
      `the worker's serf agent exited while starting (${describe(this.exitValue)}); its output:\n${output}`,
    );
  }
}

/** `host:port` to bind gossip to; a free port is picked when `bind` names none. */
async function bindAddress(bind: string): Promise<string> {
  const match = /^(.*):(\d{1,5})$/.exec(bind);
  if (match !== null && !bind.endsWith(']')) return bind;
  const host = bind.replace(/^\[(.*)\]$/, '$1');
  const port = await freePort(host, true);
  return formatHostPort({ host, port });
}

class PortTakenError extends Error {
  override readonly name = 'PortTakenError';
}

function describe(exit: AgentExit | undefined): string {
  if (exit === undefined) return 'still running';
  return exit.signal === null ? `exit code ${exit.code ?? 'unknown'}` : `signal ${exit.signal}`;
}

/** Agent output goes to the worker's debug log (warnings and errors above it) and to a tail for errors. */
function relayLines(child: ChildProcess, output: TailBuffer, log: Logger): void {
  for (const stream of [child.stdout, child.stderr]) {
    if (stream === null) continue;
    let partial = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      output.append(chunk);
      const lines = (partial + chunk).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) relayLine(log, line);
    });
    stream.on('end', () => relayLine(log, partial));
  }
}

/** What the agent says at every graceful leave; a warning only by its own standards. */
const EXPECTED_AT_LEAVE = /Serf shutdown detected, quitting/;

/** What the agent says when it suspects or loses peers: how an operator sees a worker cut off. */
const MEMBERSHIP_CHANGE = /memberlist: (Suspect|Marking|Refuting)|serf: EventMemberFailed/;

function relayLine(log: Logger, line: string): void {
  const text = line.trim();
  if (text === '') return;
  if (/\[(ERR|WARN)\]/.test(text) && !EXPECTED_AT_LEAVE.test(text)) log.warn({ serf: text }, 'serf agent');
  else if (MEMBERSHIP_CHANGE.test(text)) log.info({ serf: text }, 'serf agent');
  else log.debug({ serf: text }, 'serf agent');
}
