import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, hostname } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { StackComponentError } from '../errors/stack-component-error';
import { formatEndpoint } from './address';
import { ensureDebianPackage } from './debian';
import { runCommand } from './exec';
import { launchServer } from './launch-server';
import { isListening, isUnixSocketListening } from './listener-pid';
import { MUNGE_SOCKET, MUNGED, mungedCommand, mungedProcess, prepareMunge } from './munge';
import { componentLogFile, componentPidFile } from './paths';
import type { StackPaths } from './paths';
import { livePid, removePidFile } from './process-supervisor';
import { SLURM_ADDRESS, SLURMCTLD_PORT, SLURMD_PORT, renderSlurmConf } from './slurm-conf';
import { nodeReadiness, parseNodeState } from './slurm-node';
import { waitForPort } from './tcp-probe';
import type { HostPort } from '@wlm/commons/net';
import type { ComponentEnv, Endpoint, OwnedProcess, Reporter, StackComponent } from './types';

const SLURMCTLD = '/usr/sbin/slurmctld';
const SLURMD = '/usr/sbin/slurmd';
const CTLD_ADDRESS: HostPort = { host: SLURM_ADDRESS, port: SLURMCTLD_PORT };
const SLURMD_ADDRESS: HostPort = { host: SLURM_ADDRESS, port: SLURMD_PORT };
/** Each daemon answered within a second here, first start included; a busy machine wants more. */
const DAEMON_TIMEOUT_MS = 60_000;
const NODE_READY_TIMEOUT_MS = 90_000;

/** The node's name: slurmctld only runs where `SlurmctldHost` names the short host name. */
export function slurmNodeName(): string {
  return hostname().split('.', 1)[0] ?? hostname();
}

/** The environment SLURM's commands (`sbatch`, `squeue`, `scontrol`) need to find the stack's cluster. */
export function slurmEnv(paths: StackPaths): NodeJS.ProcessEnv {
  return { ...process.env, SLURM_CONF: paths.slurm.conf };
}

/** One daemon of the component: how to tell it answers, and how to start it. */
interface Daemon extends OwnedProcess {
  readonly address: Endpoint;
  /**
   * Whether it listens, read from /proc: a test connection would leave a "Zero Bytes were transmitted"
   * error in the slurmctld and slurmd logs (and a notice in munged's) on every `stack status`.
   */
  readonly answers: () => boolean;
  readonly command: string;
  readonly args: readonly string[];
  readonly logFile: string;
}

function daemonsOf(paths: StackPaths): { munged: Daemon; slurmctld: Daemon; slurmd: Daemon } {
  const conf = paths.slurm.conf;
  // `-f CONF` first: the marker `slurmctld -f CONF` then tells our daemons from any other.
  return {
    munged: {
      ...mungedProcess(componentPidFile(paths, 'munged')),
      address: MUNGE_SOCKET,
      answers: () => isUnixSocketListening(MUNGE_SOCKET.path),
      ...mungedCommand(),
      logFile: componentLogFile(paths, 'munged'),
    },
    slurmctld: {
      label: 'slurmctld',
      pidFile: componentPidFile(paths, 'slurmctld'),
      processMarker: `${SLURMCTLD} -f ${conf}`,
      address: CTLD_ADDRESS,
      answers: () => isListening(SLURMCTLD_PORT),
      command: SLURMCTLD,
      // -i: a state file from an older SLURM (or a half-written one) must not keep the stack down.
      args: ['-f', conf, '-D', '-i'],
      logFile: componentLogFile(paths, 'slurmctld'),
    },
    slurmd: {
      label: 'slurmd',
      pidFile: componentPidFile(paths, 'slurmd'),
      processMarker: `${SLURMD} -f ${conf}`,
      address: SLURMD_ADDRESS,
      answers: () => isListening(SLURMD_PORT),
      command: SLURMD,
      args: ['-f', conf, '-D', '-N', slurmNodeName()],
      logFile: componentLogFile(paths, 'slurmd'),
    },
  };
}

/** Starts `daemon` unless it answers already; waits for one an interrupted `up` left starting. */
async function ensureDaemon(daemon: Daemon, report: Reporter): Promise<void> {
  const { label, address, pidFile, processMarker, logFile } = daemon;
  const pid = livePid(pidFile, processMarker);
  if (daemon.answers()) {
    report(
      'info',
      `${label} answers on ${formatEndpoint(address)}${pid === undefined ? ' (not started by wlm stack)' : ` (pid ${pid})`}`,
    );
    return;
  }
  if (pid !== undefined) {
    report('info', `${label} pid ${pid} is starting, waiting for it to answer`);
    const outcome = await waitForPort({
      address,
      probe: daemon.answers,
      timeoutMs: DAEMON_TIMEOUT_MS,
      report,
      alive: () => livePid(pidFile, processMarker) !== undefined,
    });
    if (outcome.ok) return;
    throw new StackComponentError(
      'slurm',
      `the ${label} \`stack up\` started earlier does not answer (${outcome.reason}); stop it with \`wlm stack down --only slurm\``,
      logFile,
    );
  }
  removePidFile(pidFile);
  await launchServer({
    component: 'slurm',
    label,
    command: daemon.command,
    args: daemon.args,
    address,
    probe: daemon.answers,
    logFile,
    pidFile,
    timeoutMs: DAEMON_TIMEOUT_MS,
    report,
  });
}

function writeSlurmConf(paths: StackPaths): void {
  const { slurm } = paths;
  for (const dir of [slurm.dir, slurm.stateDir, slurm.spoolDir, slurm.logDir, slurm.runDir]) {
    mkdirSync(dir, { recursive: true, mode: 0o755 });
  }
  const conf = renderSlurmConf({
    hostname: slurmNodeName(),
    cpus: availableParallelism(),
    stateDir: slurm.stateDir,
    spoolDir: slurm.spoolDir,
    logDir: slurm.logDir,
    runDir: slurm.runDir,
  });
  writeFileSync(slurm.conf, conf, { mode: 0o644 });
}

/**
 * Waits until the node takes jobs. slurmd registers a second or so after it answers; a node left DOWN
 * or drained by an earlier run is resumed (ReturnToService=2 covers most of those by itself).
 */
async function waitForIdleNode(paths: StackPaths, logFile: string, report: Reporter): Promise<void> {
  const node = slurmNodeName();
  const env = slurmEnv(paths);
  const started = Date.now();
  let lastState = 'unknown';
  let nextProgress = 5000;
  let lastResume = 0;
  for (;;) {
    const shown = await runCommand('scontrol', ['--oneliner', 'show', 'node', node], { env });
    const parsed = shown.code === 0 ? parseNodeState(shown.stdout) : undefined;
    if (parsed !== undefined) {
      lastState = parsed.reason === undefined ? parsed.state : `${parsed.state} (${parsed.reason})`;
      const readiness = nodeReadiness(parsed.state);
      if (readiness === 'ready') {
        report('info', `node ${node} is ${parsed.state}`);
        return;
      }
      if (readiness === 'resume' && Date.now() - lastResume >= 5000) {
        report('info', `node ${node} is ${lastState}: resuming it`);
        await runCommand('scontrol', ['update', `nodename=${node}`, 'state=resume'], { env, logFile });
        lastResume = Date.now();
      }
    } else {
      lastState = (shown.stderr || shown.stdout).trim() || 'no answer from scontrol';
    }
    const elapsedMs = Date.now() - started;
    if (elapsedMs >= NODE_READY_TIMEOUT_MS) {
      throw new StackComponentError(
        'slurm',
        `node ${node} did not become idle within ${NODE_READY_TIMEOUT_MS / 1000} s: ${lastState}`,
        join(paths.slurm.logDir, 'slurmd.log'),
      );
    }
    if (elapsedMs >= nextProgress) {
      report('waiting', `waiting for node ${node} to be idle, now ${lastState}`, elapsedMs);
      nextProgress += 5000;
    }
    await delay(500);
  }
}

/**
 * A single-node SLURM cluster on 127.0.0.1: munged, slurmctld (6817) and slurmd (6818), configured by
 * `<stack dir>/slurm/slurm.conf` (pass it as `SLURM_CONF` to sbatch and friends). Up when all three
 * answer; `up` also waits until the node takes jobs. Not started unless asked (`--with-slurm`).
 */
export function slurmComponent({ paths }: ComponentEnv): StackComponent {
  const logFile = componentLogFile(paths, 'slurm');
  const daemons = daemonsOf(paths);
  const ordered = [daemons.munged, daemons.slurmctld, daemons.slurmd];
  return {
    name: 'slurm',
    address: CTLD_ADDRESS,
    logFile,
    pidFile: daemons.slurmctld.pidFile,
    processMarker: daemons.slurmctld.processMarker,
    // Stopped in reverse: slurmd reports to slurmctld, and both authenticate through munged.
    processes: [...ordered].reverse(),
    isUp() {
      return Promise.resolve(ordered.every((daemon) => daemon.answers()));
    },
    async start(report: Reporter) {
      const install = { component: 'slurm', logFile, report } as const;
      await ensureDebianPackage({ ...install, binary: MUNGED, packageName: 'munge' });
      await ensureDebianPackage({ ...install, binary: SLURMCTLD, packageName: 'slurm-wlm' });
      await ensureDebianPackage({ ...install, binary: SLURMD, packageName: 'slurm-wlm' });
      if (!daemons.munged.answers()) await prepareMunge(logFile);
      await ensureDaemon(daemons.munged, report);
      writeSlurmConf(paths);
      await ensureDaemon(daemons.slurmctld, report);
      await ensureDaemon(daemons.slurmd, report);
    },
    async provision(report: Reporter) {
      await waitForIdleNode(paths, logFile, report);
    },
    async version() {
      const result = await runCommand('scontrol', ['version'], { env: slurmEnv(paths) });
      // Debian prints "slurm-wlm 22.05.8", upstream "slurm 22.05.8".
      const version = /^slurm\S*\s+(\d\S*)/i.exec(result.stdout.trim())?.[1];
      if (result.code !== 0 || version === undefined) throw new Error('`scontrol version` failed');
      return `slurm ${version}`;
    },
  };
}
