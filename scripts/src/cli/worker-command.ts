import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { loadConfig } from '@wlm/commons/config';
import { ConfigError } from '@wlm/commons/errors';
import { runService } from '@wlm/commons/lifecycle';
import { createLogger } from '@wlm/commons/logging';
import { taskTypeSchema } from '@wlm/commons/wire';
import type { WlmConfig } from '@wlm/commons/config';
import type { FinalServiceState } from '@wlm/commons/lifecycle';
import {
  DEFAULT_RUNNING_REPORT_DELAY_MS,
  MAX_WORKER_SLOTS,
  Worker,
  createWorkerMetrics,
  pluginSpecifier,
} from '@wlm/workers';
import type { WorkerSerfOptions, WorkerStartInfo } from '@wlm/workers';
import { taskEnvironment } from './task-environment';
import { metricsPortOption, startMetricsServer } from './metrics-option';
import { parseList, wholeNumber } from './option-parsers';

interface WorkerCommandOptions {
  name: string;
  tasks: string[];
  slots: number;
  labels?: Record<string, string>;
  serfRpc?: string;
  join?: string[];
  serfBind?: string;
  serfAdvertise?: string;
  namespace: string;
  drainTimeout: number;
  runningReportDelay: number;
  taskEnv?: string[];
  metricsPort?: number | 'off';
  json?: boolean;
}

function parseTasks(value: string): string[] {
  const tasks = parseList(value);
  if (tasks.length === 0)
    throw new InvalidArgumentError('name at least one task type, e.g. --tasks echo,shell');
  for (const task of tasks) {
    const isModule = task.startsWith('.') || task.startsWith('/') || task.startsWith('@');
    if (!isModule && !taskTypeSchema.safeParse(task).success) {
      throw new InvalidArgumentError(
        `"${task}" is neither a task type (lower case, e.g. echo or job-submission) nor a module path or package`,
      );
    }
  }
  return tasks;
}

/** `site=bigred,gpu=a100`; the label alphabet itself is checked by the worker's options. */
function parseLabels(value: string): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const item of parseList(value)) {
    const at = item.indexOf('=');
    if (at <= 0)
      throw new InvalidArgumentError(`expected name=value pairs such as site=bigred, got "${item}"`);
    const name = item.slice(0, at);
    if (Object.hasOwn(labels, name)) throw new InvalidArgumentError(`label "${name}" is given twice`);
    labels[name] = item.slice(at + 1);
  }
  return labels;
}

function parseSeconds(value: string): number {
  const seconds = Number(value);
  if (value.trim() === '' || !Number.isFinite(seconds) || seconds < 0) {
    throw new InvalidArgumentError('expected a number of seconds ≥ 0');
  }
  return seconds;
}

function serfOptions(options: WorkerCommandOptions, config: WlmConfig): WorkerSerfOptions {
  if (options.serfRpc !== undefined) {
    return {
      mode: 'host-agent',
      rpcAddr: options.serfRpc,
      ...(config.serf.rpcAuthKey === undefined ? {} : { rpcAuthKey: config.serf.rpcAuthKey }),
    };
  }
  const bind = options.serfBind ?? config.serf.agentBind;
  const advertise = options.serfAdvertise ?? config.serf.agentAdvertise;
  return {
    mode: 'own-agent',
    join: options.join ?? [config.serf.bindAddr],
    ...(bind === undefined ? {} : { bind }),
    ...(advertise === undefined ? {} : { advertise }),
    ...(config.serf.encryptKey === undefined ? {} : { encryptKey: config.serf.encryptKey }),
    ...(config.serf.rpcAuthKey === undefined ? {} : { rpcAuthKey: config.serf.rpcAuthKey }),
  };
}

/** One greppable line: what the worker runs and where it can be reached. */
function startLine(info: WorkerStartInfo, metricsUrl: string | undefined): string {
  const tasks = Object.entries(info.taskTypes).map(([type, version]) => `${type}@${version}`);
  const labels = Object.entries(info.labels).map(([name, value]) => `${name}=${value}`);
  const serf =
    info.serf.mode === 'own-agent'
      ? `own agent rpc ${info.serf.rpcAddr} gossip ${info.serf.bindAddr ?? '?'} joined ${(info.serf.joined ?? []).join(',')}`
      : `host agent rpc ${info.serf.rpcAddr}`;
  return (
    `worker ${info.workerId} running: queue ${info.queue}, ${info.slots} slots, tasks ${tasks.join(',')}` +
    `${labels.length > 0 ? `, labels ${labels.join(',')}` : ''}, serf ${serf}` +
    (metricsUrl === undefined ? '' : `, metrics ${metricsUrl}`)
  );
}

/** Task types whose `@wlm/task-*` package is installed where this CLI can see it, for hints. */
function installedTaskTypes(): string[] {
  const types = new Set<string>();
  for (const dir of [join(process.cwd(), 'node_modules'), ...module.paths]) {
    try {
      for (const entry of readdirSync(join(dir, '@wlm'))) {
        if (entry.startsWith('task-')) types.add(entry.slice('task-'.length));
      }
    } catch {
      // No @wlm packages there.
    }
  }
  return [...types].sort();
}

function installedHint(): string {
  const types = installedTaskTypes();
  return types.length === 0
    ? 'no @wlm/task-* package is installed'
    : `task types installed here: ${types.join(', ')}`;
}

/**
 * Runs `worker` until it ended: the first SIGTERM/SIGINT drains (running tasks finish, up to
 * --drain-timeout); the second stops them now and hands their assignments back; a third exits at once.
 */
function runWorkerService(worker: Worker): Promise<FinalServiceState> {
  return runService(worker.lifecycle, {
    signalSteps: [
      { says: 'draining; send it again to stop running tasks now', run: () => void worker.close() },
      {
        says: 'stopping running tasks and handing them back',
        run: () => void worker.close({ force: true }),
      },
    ],
    report: (message) => console.error(`wlm worker: ${message}`),
  });
}

async function runWorker(options: WorkerCommandOptions): Promise<void> {
  const config = loadConfig();
  await serveUntilStopped(options, config, taskEnvironment(config, options.taskEnv ?? []));
}

async function serveUntilStopped(
  options: WorkerCommandOptions,
  config: WlmConfig,
  taskEnv: Readonly<Record<string, string>>,
): Promise<void> {
  const logger = createLogger({ component: 'worker', level: config.log.level });
  const specifiers = options.tasks.map(pluginSpecifier);
  const worker = new Worker({
    workerId: options.name,
    plugins: specifiers,
    slots: options.slots,
    labels: options.labels ?? {},
    namespace: options.namespace,
    amqpUrl: config.rabbitmq.url,
    amqpCaFile: config.rabbitmq.caFile,
    maxDeliveries: config.rabbitmq.maxDeliveries,
    serf: serfOptions(options, config),
    drainTimeoutMs: options.drainTimeout * 1000,
    runningReportDelayMs: options.runningReportDelay,
    taskEnvironment: taskEnv,
    taskSettings: { resources: config.resources, localRoots: config.staging.localRoots },
    logger,
  });
  // Signals are answered from the start on: one during the start drains the worker once it runs.
  const ended = runWorkerService(worker);
  const info = await worker.start().catch((error: unknown) => {
    if (error instanceof ConfigError && error.key === 'tasks') {
      throw new ConfigError('tasks', `${error.message}\n(${installedHint()})`);
    }
    throw error;
  });
  const metrics = await startMetricsServer(
    options.metricsPort ?? config.metrics.workerPort,
    config.http.host,
    {
      registry: createWorkerMetrics({
        get runningTasks() {
          return worker.runningTasks;
        },
        info,
        on: worker.on.bind(worker),
        broker: worker.connection,
      }),
      status: () => ({ lifecycle: worker.state, worker: info.workerId }),
      probes: worker.dependencyProbes(),
    },
  ).catch(async (error: unknown) => {
    await worker.close({ force: true });
    throw error;
  });
  if (options.json) console.log(JSON.stringify({ ...info, ...(metrics && { metricsUrl: metrics.url }) }));
  else console.log(startLine(info, metrics?.url));
  for (const { specifier, reason } of info.pluginFailures) {
    const given = options.tasks[specifiers.indexOf(specifier)] ?? specifier;
    const what = given === specifier ? specifier : `task type "${given}" (${specifier})`;
    console.error(`wlm worker: ${what} not loaded, not advertised: ${reason}`);
  }
  if (info.pluginFailures.length > 0) console.error(`wlm worker: ${installedHint()}`);
  await ended;
  await metrics?.close();
}

/** `wlm worker`: run one worker until SIGTERM/SIGINT. */
export function workerCommand(): Command {
  return new Command('worker')
    .description('run a worker: advertise task types over Serf and run the tasks assigned to its queue')
    .requiredOption('--name <id>', 'worker id (letters, digits, _ . -): names its queue and Serf node')
    .requiredOption(
      '--tasks <types>',
      'comma-separated task types (echo means the package @wlm/task-echo) or plugin module paths',
      parseTasks,
    )
    .requiredOption(
      '--slots <n>',
      `tasks run at once (1–${MAX_WORKER_SLOTS})`,
      wholeNumber({ min: 1, max: MAX_WORKER_SLOTS, of: 'slots' }),
    )
    .option(
      '--labels <k=v,…>',
      'labels that placement constraints match, e.g. site=bigred,gpu=a100',
      parseLabels,
    )
    .addOption(
      new Option(
        '--serf-rpc <addr>',
        'advertise through the Serf agent already on this host (its RPC address)',
      ).conflicts('join'),
    )
    .option(
      '--join <addrs>',
      'start an own Serf agent and join through these gossip addresses (default: config serf.bindAddr)',
      parseList,
    )
    .addOption(
      new Option(
        '--serf-bind <host[:port]>',
        "where the own Serf agent's gossip listens: an address the other hosts reach " +
          '(default: config serf.agentBind, else 127.0.0.1 on a free port)',
      ).conflicts('serfRpc'),
    )
    .addOption(
      new Option(
        '--serf-advertise <host[:port]>',
        'the address other agents reach the own agent at, when it is not the bind address (NAT, 0.0.0.0)',
      ).conflicts('serfRpc'),
    )
    .option('--namespace <ns>', 'AMQP namespace of the installation', 'wlm')
    .option('--drain-timeout <seconds>', 'how long a graceful stop waits for running tasks', parseSeconds, 30)
    .option(
      '--running-report-delay <ms>',
      'how long a run waits before it reports RUNNING: a run that ends sooner reports its start with ' +
        'its end, one event instead of two (0: report every start at once)',
      wholeNumber({ min: 0, max: 60_000, of: '--running-report-delay' }),
      DEFAULT_RUNNING_REPORT_DELAY_MS,
    )
    .option(
      '--task-env <names>',
      "variables of the worker's environment that task processes also get (besides PATH, HOME, LANG, …)",
      parseList,
    )
    .addOption(metricsPortOption('workerPort'))
    .option('--json', 'print the start line as a JSON object')
    .addHelpText(
      'after',
      '\nStops on SIGTERM/SIGINT: the first drains (running tasks finish; after --drain-timeout they are\n' +
        'handed back to the queue), the second hands running tasks back at once.\n' +
        '\nTask processes get an explicit environment: PATH, HOME, USER, LOGNAME, SHELL, LANG, LANGUAGE,\n' +
        'LC_*, TZ and TMPDIR, the --task-env variables and the passphrase variables of compute resources;\n' +
        'each task is handed the compute resources and staging.localRoots, never the other wlm settings\n' +
        '(broker, database, tokens).',
    )
    .action((options: WorkerCommandOptions) => runWorker(options));
}
