import { loadConfig } from '@wlm/commons/config';
import type { WlmConfig } from '@wlm/commons/config';
import { formatHostPort } from '@wlm/commons/net';
import { StackComponentError } from '../errors/stack-component-error';
import { StackError } from '../errors/stack-error';
import { mariadbComponent } from './mariadb';
import { neo4jComponent } from './neo4j';
import { stackPaths } from './paths';
import { livePid, readPidFile, removePidFile, stopProcess } from './process-supervisor';
import { rabbitmqComponent } from './rabbitmq';
import { redisComponent } from './redis';
import { serfComponent } from './serf';
import { smtpComponent } from './smtp';
import { slurmComponent } from './slurm';
import { sshdComponent } from './sshd';
import { withStackLock } from './stack-lock';
import { isPortOpen, waitForPort } from './tcp-probe';
import { COMPONENT_NAMES, DEFAULT_COMPONENT_NAMES, OPTIONAL_COMPONENT_NAMES } from './types';
import type {
  ComponentName,
  ComponentStatus,
  OwnedProcess,
  ProgressListener,
  Reporter,
  StackComponent,
} from './types';

/** Long enough for Neo4j's first start on a busy machine. */
const OWN_PROCESS_TIMEOUT_MS = 180_000;

export interface StackOptions {
  /** Defaults to `loadConfig()`. */
  readonly config?: WlmConfig;
  /** Where a relative `stack.dir` is resolved from (its workspaces root); defaults to `process.cwd()`. */
  readonly cwd?: string;
  /**
   * Only these components. By default `up` brings up {@link DEFAULT_COMPONENT_NAMES} (plus SLURM with
   * {@link withSlurm}); `status` and `down` take those plus every optional component that runs.
   */
  readonly only?: readonly ComponentName[];
  /** Also the single-node SLURM cluster (munged, slurmctld, slurmd); ignored when `only` is given. */
  readonly withSlurm?: boolean;
  /** Also Redis, for the benchmark's BullMQ comparison; ignored when `only` is given. */
  readonly withRedis?: boolean;
  readonly onProgress?: ProgressListener;
}

/** What `stack up` did with one component. */
export interface UpResult {
  readonly name: ComponentName;
  readonly outcome: 'started' | 'already-up';
  /** Set when the process was started by `stack up` (now or earlier). */
  readonly pid: number | null;
}

/** What `stack down` did with one component. */
export interface DownResult {
  readonly name: ComponentName;
  readonly outcome: 'stopped' | 'killed' | 'not-started-by-stack' | 'not-running';
}

/**
 * The components `stack up` brings up for these options, in {@link COMPONENT_NAMES} order: `only`, else
 * the default ones and, with `withSlurm` and `withRedis`, slurm and redis.
 */
export function stackComponents(options: StackOptions = {}): StackComponent[] {
  const wanted = options.only ?? [
    ...DEFAULT_COMPONENT_NAMES,
    ...(options.withSlurm === true ? (['slurm'] as const) : []),
    ...(options.withRedis === true ? (['redis'] as const) : []),
  ];
  return componentsNamed(options, wanted);
}

function componentsNamed(options: StackOptions, wanted: readonly ComponentName[]): StackComponent[] {
  const { config } = withConfig(options);
  const env = { config, paths: stackPaths(config, options.cwd) };
  const factories: Record<ComponentName, () => StackComponent> = {
    rabbitmq: () => rabbitmqComponent(env),
    mariadb: () => mariadbComponent(env),
    neo4j: () => neo4jComponent(env),
    serf: () => serfComponent(env),
    sshd: () => sshdComponent(env),
    smtp: () => smtpComponent(env),
    slurm: () => slurmComponent(env),
    redis: () => redisComponent(env),
  };
  return COMPONENT_NAMES.filter((name) => wanted.includes(name)).map((name) => factories[name]());
}

function withConfig(options: StackOptions): StackOptions & { readonly config: WlmConfig } {
  return options.config === undefined
    ? { ...options, config: loadConfig() }
    : { ...options, config: options.config };
}

/** Every process `stack up` may have started for the component. */
function ownedProcesses(component: StackComponent): readonly OwnedProcess[] {
  return (
    component.processes ?? [
      { label: component.name, pidFile: component.pidFile, processMarker: component.processMarker },
    ]
  );
}

function isUp(component: StackComponent): Promise<boolean> {
  return component.isUp?.() ?? isPortOpen(component.address);
}

/** An optional component counts for `status` and `down` while anything of it runs. */
async function isPresent(component: StackComponent): Promise<boolean> {
  if (ownedProcesses(component).some((p) => livePid(p.pidFile, p.processMarker) !== undefined)) return true;
  return isUp(component);
}

/** What `status` and `down` look at: {@link stackComponents}, plus each optional component that runs. */
async function presentComponents(options: StackOptions): Promise<StackComponent[]> {
  if (options.only !== undefined) return stackComponents(options);
  const optional = componentsNamed(options, OPTIONAL_COMPONENT_NAMES);
  const running = await Promise.all(optional.map(isPresent));
  const names = new Set<ComponentName>(stackComponents(options).map((c) => c.name));
  optional.forEach((component, index) => {
    if (running[index] === true) names.add(component.name);
  });
  return componentsNamed(options, [...names]);
}

/** Serializes `up` and `down` across processes that share a stack dir. */
function withLock<T>(
  options: StackOptions & { readonly config: WlmConfig },
  work: () => Promise<T>,
): Promise<T> {
  return withStackLock(
    {
      runDir: stackPaths(options.config, options.cwd).runDir,
      onWait: (holder, elapsedMs) =>
        options.onProgress?.({
          component: 'stack',
          kind: 'waiting',
          message: `waiting for another wlm stack command (pid ${holder}) to finish`,
          elapsedMs,
        }),
    },
    work,
  );
}

function reporterFor(name: ComponentName, listener: ProgressListener | undefined): Reporter {
  return (kind, message, elapsedMs) =>
    listener?.({ component: name, kind, message, ...(elapsedMs === undefined ? {} : { elapsedMs }) });
}

/**
 * Our process runs but does not answer yet: an earlier `up` was interrupted while it started. Starting
 * a second copy would only fail on the first one's locks, so wait for it instead.
 */
async function awaitOwnProcess(component: StackComponent, report: Reporter): Promise<void> {
  const { address, pidFile, processMarker, logFile, name } = component;
  report('info', `pid ${livePid(pidFile, processMarker) ?? '?'} is starting, waiting for it to answer`);
  const outcome = await waitForPort({
    address,
    timeoutMs: OWN_PROCESS_TIMEOUT_MS,
    report,
    alive: () => livePid(pidFile, processMarker) !== undefined,
  });
  if (!outcome.ok) {
    throw new StackComponentError(
      name,
      `the process \`stack up\` started earlier does not answer (${outcome.reason}); stop it with \`wlm stack down --only ${name}\``,
      logFile,
    );
  }
  report('done', `up on ${formatHostPort(address)}`);
}

async function bringUp(component: StackComponent, report: Reporter): Promise<UpResult> {
  const { name, address, pidFile, processMarker } = component;
  let outcome: UpResult['outcome'];
  if (await isUp(component)) {
    outcome = 'already-up';
    const pid = livePid(pidFile, processMarker);
    report(
      'done',
      `already up on ${formatHostPort(address)}${pid === undefined ? ' (not started by wlm stack)' : ` (pid ${pid})`}`,
    );
  } else if (component.processes === undefined && livePid(pidFile, processMarker) !== undefined) {
    await awaitOwnProcess(component, report);
    outcome = 'already-up';
  } else {
    // The PID file (if any) names a process that is gone, or a PID the kernel has since reused. A
    // component of several daemons sorts out each one's PID file itself.
    if (component.processes === undefined) removePidFile(pidFile);
    const started = Date.now();
    await component.start(report);
    report('done', `up on ${formatHostPort(address)} after ${((Date.now() - started) / 1000).toFixed(1)} s`);
    outcome = 'started';
  }
  await component.provision?.(report);
  return { name, outcome, pid: livePid(pidFile, processMarker) ?? null };
}

function asComponentError(component: StackComponent, error: unknown): StackComponentError {
  if (error instanceof StackComponentError) return error;
  return new StackComponentError(component.name, (error as Error).message, component.logFile, {
    cause: error,
  });
}

/**
 * Starts every component that does not answer yet, all at once, and provisions each (database,
 * password). Idempotent: a component already up is left alone. Rejects with a {@link StackError}
 * naming each component that could not be brought up, after the others are up.
 */
export async function stackUp(input: StackOptions = {}): Promise<UpResult[]> {
  const options = withConfig(input);
  const components = stackComponents(options);
  const settled = await withLock(options, () =>
    Promise.allSettled(
      components.map((component) => bringUp(component, reporterFor(component.name, options.onProgress))),
    ),
  );
  const failures: StackComponentError[] = [];
  const results: UpResult[] = [];
  settled.forEach((result, index) => {
    const component = components[index];
    if (component === undefined) return;
    if (result.status === 'fulfilled') results.push(result.value);
    else failures.push(asComponentError(component, result.reason));
  });
  if (failures.length > 0) throw new StackError(failures);
  return results;
}

async function takeDown(component: StackComponent, report: Reporter): Promise<DownResult> {
  const { name } = component;
  const several = component.processes !== undefined;
  // One process is the component itself; of several, each is named (`stopping slurmd pid 12`).
  const label = (p: OwnedProcess): string => (several ? `${p.label} ` : '');
  const stopped: string[] = [];
  const gone: string[] = [];
  let killed = false;
  for (const owned of ownedProcesses(component)) {
    const pid = livePid(owned.pidFile, owned.processMarker);
    const recorded = readPidFile(owned.pidFile);
    if (pid === undefined) {
      if (recorded !== undefined) gone.push(`${label(owned)}pid ${recorded}`);
      removePidFile(owned.pidFile);
      continue;
    }
    report('info', `stopping ${label(owned)}pid ${pid}`);
    // Neo4j and RabbitMQ flush to disk on SIGTERM; give them time before SIGKILL.
    const outcome = await stopProcess(pid, 60_000);
    removePidFile(owned.pidFile);
    killed ||= outcome === 'killed';
    stopped.push(
      outcome === 'stopped'
        ? `stopped ${label(owned)}pid ${pid}`
        : `killed ${label(owned)}pid ${pid} (it ignored SIGTERM)`,
    );
  }
  if (stopped.length > 0) {
    report('done', stopped.join(', '));
    return { name, outcome: killed ? 'killed' : 'stopped' };
  }
  const running = await isUp(component);
  if (running) report('done', 'left running: not started by wlm stack');
  else
    report(
      'done',
      gone.length === 0
        ? 'not running'
        : `${gone.join(', ')} ${gone.length === 1 ? 'is' : 'are'} gone already`,
    );
  return { name, outcome: running ? 'not-started-by-stack' : 'not-running' };
}

/** Stops what `stack up` started (by its recorded PID); servers it found running are left alone. */
export async function stackDown(input: StackOptions = {}): Promise<DownResult[]> {
  const options = withConfig(input);
  return withLock(options, async () => {
    const components = await presentComponents(options);
    return Promise.all(components.map((c) => takeDown(c, reporterFor(c.name, options.onProgress))));
  });
}

async function statusOf(component: StackComponent): Promise<ComponentStatus> {
  const up = await isUp(component);
  let version: string | null = null;
  if (up) {
    try {
      version = await component.version();
    } catch {
      // Up but unreadable (a foreign server on the port, a wrong password): the state still holds.
      version = null;
    }
  }
  return {
    name: component.name,
    state: up ? 'up' : 'down',
    address: formatHostPort(component.address),
    version,
    pid: livePid(component.pidFile, component.processMarker) ?? null,
  };
}

/**
 * One {@link ComponentStatus} per component, in {@link COMPONENT_NAMES} order: the default components,
 * and each optional one (slurm) when it runs, `withSlurm` is set, or `only` names it.
 */
export async function stackStatus(input: StackOptions = {}): Promise<ComponentStatus[]> {
  const options = withConfig(input);
  return Promise.all((await presentComponents(options)).map(statusOf));
}
