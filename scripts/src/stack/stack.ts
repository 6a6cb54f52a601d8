import { loadConfig } from '@wlm/commons';
import type { WlmConfig } from '@wlm/commons';
import { StackComponentError } from '../errors/stack-component-error';
import { StackError } from '../errors/stack-error';
import { formatHostPort } from './address';
import { mariadbComponent } from './mariadb';
import { neo4jComponent } from './neo4j';
import { stackPaths } from './paths';
import { livePid, readPidFile, removePidFile, stopProcess } from './process-supervisor';
import { rabbitmqComponent } from './rabbitmq';
import { serfComponent } from './serf';
import { smtpComponent } from './smtp';
import { sshdComponent } from './sshd';
import { withStackLock } from './stack-lock';
import { isPortOpen, waitForPort } from './tcp-probe';
import { COMPONENT_NAMES } from './types';
import type { ComponentName, ComponentStatus, ProgressListener, Reporter, StackComponent } from './types';

/** Long enough for Neo4j's first start on a busy machine. */
const OWN_PROCESS_TIMEOUT_MS = 180_000;

export interface StackOptions {
  /** Defaults to `loadConfig()`. */
  readonly config?: WlmConfig;
  /** Where a relative `stack.dir` is resolved from (its workspaces root); defaults to `process.cwd()`. */
  readonly cwd?: string;
  /** Only these components; all by default. */
  readonly only?: readonly ComponentName[];
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

/** The components of the stack for these options, in {@link COMPONENT_NAMES} order. */
export function stackComponents(options: StackOptions = {}): StackComponent[] {
  const { config } = withConfig(options);
  const env = { config, paths: stackPaths(config, options.cwd) };
  const factories: Record<ComponentName, () => StackComponent> = {
    rabbitmq: () => rabbitmqComponent(env),
    mariadb: () => mariadbComponent(env),
    neo4j: () => neo4jComponent(env),
    serf: () => serfComponent(env),
    sshd: () => sshdComponent(env),
    smtp: () => smtpComponent(env),
  };
  const wanted = options.only ?? COMPONENT_NAMES;
  return COMPONENT_NAMES.filter((name) => wanted.includes(name)).map((name) => factories[name]());
}

function withConfig(options: StackOptions): StackOptions & { readonly config: WlmConfig } {
  return options.config === undefined
    ? { ...options, config: loadConfig() }
    : { ...options, config: options.config };
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
  if (await isPortOpen(address)) {
    outcome = 'already-up';
    const pid = livePid(pidFile, processMarker);
    report(
      'done',
      `already up on ${formatHostPort(address)}${pid === undefined ? ' (not started by wlm stack)' : ` (pid ${pid})`}`,
    );
  } else if (livePid(pidFile, processMarker) !== undefined) {
    await awaitOwnProcess(component, report);
    outcome = 'already-up';
  } else {
    // The PID file (if any) names a process that is gone, or a PID the kernel has since reused.
    removePidFile(pidFile);
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
  const { name, pidFile, processMarker } = component;
  const pid = livePid(pidFile, processMarker);
  if (pid === undefined) {
    const recorded = readPidFile(pidFile);
    removePidFile(pidFile);
    const running = await isPortOpen(component.address);
    if (running) report('done', 'left running: not started by wlm stack');
    else report('done', recorded === undefined ? 'not running' : `pid ${recorded} is gone already`);
    return { name, outcome: running ? 'not-started-by-stack' : 'not-running' };
  }
  report('info', `stopping pid ${pid}`);
  // Neo4j and RabbitMQ flush to disk on SIGTERM; give them time before SIGKILL.
  const outcome = await stopProcess(pid, 60_000);
  removePidFile(pidFile);
  report('done', outcome === 'stopped' ? `stopped pid ${pid}` : `killed pid ${pid} (it ignored SIGTERM)`);
  return { name, outcome };
}

/** Stops what `stack up` started (by its recorded PID); servers it found running are left alone. */
export async function stackDown(input: StackOptions = {}): Promise<DownResult[]> {
  const options = withConfig(input);
  const components = stackComponents(options);
  return withLock(options, () =>
    Promise.all(components.map((c) => takeDown(c, reporterFor(c.name, options.onProgress)))),
  );
}

async function statusOf(component: StackComponent): Promise<ComponentStatus> {
  const up = await isPortOpen(component.address);
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

/** One {@link ComponentStatus} per component, in {@link COMPONENT_NAMES} order. */
export function stackStatus(options: StackOptions = {}): Promise<ComponentStatus[]> {
  return Promise.all(stackComponents(options).map(statusOf));
}
