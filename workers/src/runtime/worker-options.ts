import { workerAdvertisementSchema } from '@wlm/commons/advertisement';
import { WlmTopology } from '@wlm/commons/amqp';
import { ConfigError } from '@wlm/commons/errors';
import { inheritedEnvironment } from '@wlm/commons/plugin';
import { workerIdSchema } from '@wlm/commons/wire';
import type { Logger } from '@wlm/commons/logging';
import { NO_TASK_SETTINGS } from '../execution';
import type { TaskSettings } from '../execution';

/**
 * How the worker takes part in the Serf cluster:
 * - `own-agent` (default): it starts a `serf agent` of its own (gossip on `bind`, default a free
 *   127.0.0.1 port; RPC on a free 127.0.0.1 port), named after the worker and its incarnation, joins the cluster through `join`, and makes that agent leave when it stops;
 * - `host-agent`: it sets its tags on an agent already running on its host (`rpcAddr`), and removes
 *   them when it stops; the agent stays. One worker per agent, since tags are per agent.
 */
export type WorkerSerfOptions =
  | {
      mode: 'own-agent';
      /** Gossip addresses (`host:port`) of cluster members to join through, e.g. the stack's agent. */
      join: readonly string[];
      /**
       * Where the agent's gossip listens, `host` or `host:port` (default 127.0.0.1, a free port): an
       * address the other hosts reach for a worker that joins a cluster across hosts.
       */
      bind?: string;
      /** The address other agents reach this one at, `host` or `host:port`, when it is not `bind`'s (NAT, 0.0.0.0). */
      advertise?: string;
      /** Base64 gossip key of the cluster (`serf keygen`), when gossip is encrypted. */
      encryptKey?: string;
      /** The RPC auth key the agent demands of its clients (only this worker talks to it). */
      rpcAuthKey?: string;
      /** The `serf` executable. Default `serf` on the PATH. */
      binary?: string;
    }
  | {
      mode: 'host-agent';
      /** The agent's RPC address, `host:port`. */
      rpcAddr: string;
      rpcAuthKey?: string;
    };

/** What {@link Worker} is given; {@link compileWorkerOptions} checks it and fills in defaults. */
export interface WorkerOptions {
  /** The worker id: names its queue (`<ns>.worker.<id>`) and its own Serf agent. */
  workerId: string;
  /** Plugin module specifiers, e.g. `pluginSpecifier('echo')` or a path to a module. */
  plugins: readonly string[];
  /** Tasks run at once; also the prefetch of the assignment queue. */
  slots: number;
  /** Advertised labels that placement constraints match, e.g. `{ site: 'bigred' }`. */
  labels?: Readonly<Record<string, string>>;
  /** AMQP namespace of the installation. Default `wlm`. */
  namespace?: string;
  amqpUrl: string;
  /** PEM file of the CA that signed the broker's certificate (`rabbitmq.caFile`), for amqps://. */
  amqpCaFile?: string | undefined;
  /** Deliveries of a message before it is dead-lettered (`rabbitmq.maxDeliveries`). Default 10. */
  maxDeliveries?: number;
  serf: WorkerSerfOptions;
  logger: Logger;
  /** How long a graceful stop waits for running tasks before handing them back. Default 30,000. */
  drainTimeoutMs?: number;
  /** Least time between two Serf tag updates; the last change is always sent. Default 250. */
  advertiseIntervalMs?: number;
  /** Least time between two PROGRESS events of one task; the last report is always sent. Default 1,000. */
  progressIntervalMs?: number;
  /**
   * How long a run's RUNNING event is held back: a run that ends sooner reports its start on its
   * terminal event instead (`startedAt`), one event rather than two; 0 sends RUNNING as each run
   * starts. Default {@link DEFAULT_RUNNING_REPORT_DELAY_MS}.
   */
  runningReportDelayMs?: number;
  /** How long a cancel is remembered for assignments that arrive after it. Default 600,000. */
  cancelMemoryMs?: number;
  /** V8 heap cap of each task process, in MB. Default 512. */
  taskMemoryLimitMb?: number;
  /** Timeout of an assignment that names none. Default: none. */
  defaultTaskTimeoutMs?: number;
  /** How long a cancelled task gets to stop before its process is killed. Default 5,000. */
  cancelGraceMs?: number;
  /** Where plugin package names are resolved from first. Default the working directory. */
  pluginResolvePaths?: readonly string[];
  /**
   * The whole environment of task processes (docs/worker.md, "What a task sees"). Default: the
   * inherited variables of the worker's (`inheritedEnvironment`: PATH, HOME, LANG, …) and nothing else.
   */
  taskEnvironment?: Readonly<Record<string, string>>;
  /**
   * What its tasks see of the worker's config, in their context: the compute resources (`resources`)
   * and the directories of the worker's disk they may use (`staging.localRoots`). Default: none.
   */
  taskSettings?: TaskSettings;
}

/** {@link WorkerOptions} checked, with every default applied. */
export interface CompiledWorkerOptions {
  readonly workerId: string;
  readonly plugins: readonly string[];
  readonly slots: number;
  readonly labels: Readonly<Record<string, string>>;
  readonly topology: WlmTopology;
  readonly amqpUrl: string;
  readonly amqpCaFile: string | undefined;
  readonly maxDeliveries: number | undefined;
  readonly serf: WorkerSerfOptions;
  readonly logger: Logger;
  readonly drainTimeoutMs: number;
  readonly advertiseIntervalMs: number;
  readonly progressIntervalMs: number;
  readonly runningReportDelayMs: number;
  readonly cancelMemoryMs: number;
  readonly taskMemoryLimitMb: number;
  readonly defaultTaskTimeoutMs: number | undefined;
  readonly cancelGraceMs: number;
  readonly pluginResolvePaths: readonly string[] | undefined;
  readonly taskEnvironment: Readonly<Record<string, string>>;
  readonly taskSettings: TaskSettings;
}

/**
 * How long a run's RUNNING is held back by default: longer than a short task takes, far shorter than
 * anyone watching a task would notice.
 */
export const DEFAULT_RUNNING_REPORT_DELAY_MS = 100;

/** More task processes than this on one machine is a typo, not a plan. */
export const MAX_WORKER_SLOTS = 1000;

const HOST_PORT = /^[^:\s]+:\d{1,5}$/;

/**
 * Checks loose options and applies defaults (Temporal's `compileWorkerOptions` pattern), so every
 * mistake surfaces before anything starts, as a {@link ConfigError} that names the option.
 */
export function compileWorkerOptions(options: WorkerOptions): CompiledWorkerOptions {
  const id = workerIdSchema.safeParse(options.workerId);
  if (!id.success) {
    throw new ConfigError(
      'name',
      `worker name "${options.workerId}" is not valid: use 1–100 letters, digits, _ . or - (starting with a letter or digit)`,
    );
  }
  if (!Number.isInteger(options.slots) || options.slots < 1 || options.slots > MAX_WORKER_SLOTS) {
    throw new ConfigError(
      'slots',
      `slots must be a whole number from 1 to ${MAX_WORKER_SLOTS}, got ${options.slots}`,
    );
  }
  if (options.plugins.length === 0) {
    throw new ConfigError('tasks', 'no task types given: name at least one, e.g. --tasks echo');
  }
  let topology: WlmTopology;
  try {
    topology = new WlmTopology(options.namespace ?? 'wlm');
  } catch (error) {
    throw new ConfigError('namespace', (error as Error).message);
  }
  checkSerf(options.serf);
  const labels = options.labels ?? {};
  checkLabels(labels);
  return {
    workerId: id.data,
    plugins: [...options.plugins],
    slots: options.slots,
    labels: { ...labels },
    topology,
    amqpUrl: options.amqpUrl,
    amqpCaFile: options.amqpCaFile,
    maxDeliveries: options.maxDeliveries,
    serf: options.serf,
    logger: options.logger.child({ workerId: id.data }),
    drainTimeoutMs: nonNegative('drainTimeoutMs', options.drainTimeoutMs, 30_000),
    advertiseIntervalMs: nonNegative('advertiseIntervalMs', options.advertiseIntervalMs, 250),
    progressIntervalMs: nonNegative('progressIntervalMs', options.progressIntervalMs, 1_000),
    runningReportDelayMs: nonNegative(
      'runningReportDelayMs',
      options.runningReportDelayMs,
      DEFAULT_RUNNING_REPORT_DELAY_MS,
    ),
    cancelMemoryMs: nonNegative('cancelMemoryMs', options.cancelMemoryMs, 600_000),
    taskMemoryLimitMb: nonNegative('taskMemoryLimitMb', options.taskMemoryLimitMb, 512),
    defaultTaskTimeoutMs: options.defaultTaskTimeoutMs,
    cancelGraceMs: nonNegative('cancelGraceMs', options.cancelGraceMs, 5_000),
    pluginResolvePaths: options.pluginResolvePaths,
    taskEnvironment: { ...(options.taskEnvironment ?? inheritedEnvironment()) },
    taskSettings: options.taskSettings ?? NO_TASK_SETTINGS,
  };
}

function checkSerf(serf: WorkerSerfOptions): void {
  const addrs = serf.mode === 'own-agent' ? serf.join : [serf.rpcAddr];
  const key = serf.mode === 'own-agent' ? 'join' : 'serf-rpc';
  if (addrs.length === 0)
    throw new ConfigError(key, 'give the gossip address of a cluster member to join, e.g. 127.0.0.1:7946');
  for (const addr of addrs) {
    if (!HOST_PORT.test(addr)) throw new ConfigError(key, `"${addr}" is not host:port, e.g. 127.0.0.1:7946`);
  }
}

/** The advertisement's own label rules, reported per label rather than as zod's "Invalid key in record". */
function checkLabels(labels: Readonly<Record<string, string>>): void {
  const result = workerAdvertisementSchema.shape.labels.safeParse(labels);
  if (result.success) return;
  const problems = result.error.issues.map((issue) => {
    const label = String(issue.path[0] ?? '');
    const nested = 'issues' in issue && Array.isArray(issue.issues) ? issue.issues[0] : undefined;
    const message = typeof nested?.message === 'string' ? nested.message : issue.message;
    return `label "${label}": ${message}`;
  });
  throw new ConfigError('labels', `bad labels: ${problems.join('; ')}`);
}

function nonNegative(key: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value < 0)
    throw new ConfigError(key, `${key} must be a number ≥ 0, got ${value}`);
  return value;
}
