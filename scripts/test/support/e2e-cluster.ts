import { randomBytes } from 'node:crypto';
import { WlmTopology } from '@wlm/commons/amqp';
import { loadConfig } from '@wlm/commons/config';
import type { SerfAgentSettings } from '@wlm/commons/serf';
import { deleteMails, listMails, stackPaths } from '../../src';
import type { StoredMail } from '../../src';
import { CliProcess } from './cli-process';
import { E2eBroker } from './e2e-broker';
import { SerfAgent, installationKeys } from '@wlm/test-support';

export interface WorkerSpec {
  /** Short name; the worker id is `<namespace>-<name>`. */
  readonly name: string;
  /** `--tasks`: task types or a plugin module path. */
  readonly tasks: string;
  readonly slots: number;
  /** `--labels k=v,…` */
  readonly labels?: string;
  /** Environment of the worker process on top of the test's, e.g. `WLM_CONFIG` with compute resources. */
  readonly env?: Readonly<Record<string, string>>;
  /** More `wlm worker` options, e.g. `['--task-env', 'SITE']`. */
  readonly args?: readonly string[];
  /** The network namespace it runs in (a host of a `NetnsLab`). */
  readonly netns?: string;
}

export interface SchedulerSpec {
  /** Its own Serf agent joined to the seed, as a second instance on another host would have. */
  readonly ownAgent?: boolean;
  /** More `wlm scheduler` options, e.g. `['--type-wait-alert', '2']`. */
  readonly args?: readonly string[];
  /** Environment on top of the test's, e.g. `WLM_MYSQL_URL` of the test's database. */
  readonly env?: Readonly<Record<string, string>>;
}

const START_TIMEOUT_MS = 30_000;
const KNOWN_TIMEOUT_MS = 30_000;

/**
 * One test file's wlm installation of real processes: a namespace (`e2e<random>`), a Serf seed agent
 * of its own, `wlm scheduler` and `wlm worker` children of the built CLI, and the test's broker
 * client. `cleanUp` stops every process, deletes the namespace's queues and exchanges and the mails
 * its workers caused.
 */
export class E2eCluster {
  readonly schedulers: CliProcess[] = [];
  readonly workers = new Map<string, CliProcess>();
  private readonly extraAgents: SerfAgent[] = [];
  private readonly mailDir = stackPaths(loadConfig()).mailDir;
  /** Task types named in workers' `--tasks` (plugin paths left out). */
  private readonly workerTaskTypes = new Set<string>();

  private constructor(
    readonly topology: WlmTopology,
    readonly seed: SerfAgent,
    readonly broker: E2eBroker,
    /** The cluster's Serf keys, for every agent and process of it (files and environment, never a command line). */
    private readonly serf: SerfAgentSettings,
  ) {}

  private get serfEnv(): Record<string, string> {
    const { encryptKey, rpcAuthKey } = this.serf;
    return {
      ...(encryptKey === undefined ? {} : { WLM_SERF_ENCRYPT_KEY: encryptKey }),
      ...(rpcAuthKey === undefined ? {} : { WLM_SERF_RPC_AUTH_KEY: rpcAuthKey }),
    };
  }

  /**
   * `withOrchestrator`: a real orchestrator consumes the namespace's task events, so the test's
   * broker client must not compete with it for them ({@link E2eBroker.events} stays empty).
   */
  static async start(
    options: {
      withOrchestrator?: boolean;
      /** Where the seed's gossip listens (default 127.0.0.1): the lab gateway for workers on lab hosts. */
      seedBindHost?: string;
      /** Serf keys of the cluster (default: the installation's, which its processes read by default too). */
      serf?: SerfAgentSettings;
    } = {},
  ): Promise<E2eCluster> {
    const topology = new WlmTopology(`e2e${randomBytes(4).toString('hex')}`);
    const settings = options.serf ?? installationKeys();
    const seed = await SerfAgent.start({
      name: `${topology.namespace}-seed`,
      ...(options.seedBindHost === undefined ? {} : { bindHost: options.seedBindHost }),
      keys: settings,
    });
    const broker = await E2eBroker.open(topology, { recordEvents: options.withOrchestrator !== true }).catch(
      async (error: unknown) => {
        await seed.stop();
        throw error;
      },
    );
    return new E2eCluster(topology, seed, broker, settings);
  }

  get namespace(): string {
    return this.topology.namespace;
  }

  workerId(name: string): string {
    return `${this.namespace}-${name}`;
  }

  /** Starts `wlm scheduler` on this namespace and waits until it runs. */
  async startScheduler(spec: SchedulerSpec = {}): Promise<CliProcess> {
    let agent = this.seed;
    if (spec.ownAgent === true) {
      agent = await SerfAgent.start({
        name: `${this.namespace}-sched${this.extraAgents.length + 1}`,
        join: [this.seed.bindAddr],
        keys: this.serf,
      });
      this.extraAgents.push(agent);
    }
    const instanceId = `${this.namespace}-s${this.schedulers.length + 1}`;
    const scheduler = new CliProcess(
      `scheduler ${instanceId}`,
      ['scheduler', '--namespace', this.namespace, '--instance-id', instanceId, ...(spec.args ?? [])],
      // info: the test reads its "worker joined" lines to know which workers it can place on.
      { ...this.serfEnv, WLM_SERF_RPC_ADDR: agent.rpcAddr, WLM_LOG_LEVEL: 'info', ...spec.env },
    );
    this.schedulers.push(scheduler);
    await scheduler.waitFor('running', (p) => p.logged('scheduler running').length > 0, START_TIMEOUT_MS);
    return scheduler;
  }

  /**
   * Starts `wlm worker` joined to the seed agent and waits until every running scheduler knows it
   * (joined, or recovered when it ran before under the same name), so what a test publishes next can
   * be placed on it. Returns the worker id.
   */
  async startWorker(spec: WorkerSpec): Promise<string> {
    const workerId = this.workerId(spec.name);
    const since = new Map(this.schedulers.map((scheduler) => [scheduler, scheduler.logs.length]));
    for (const taskType of spec.tasks.split(',')) {
      if (/^[a-z][a-z0-9_.-]*$/.test(taskType) && !taskType.endsWith('.js'))
        this.workerTaskTypes.add(taskType);
    }
    const worker = new CliProcess(
      `worker ${workerId}`,
      [
        'worker',
        ...['--name', workerId, '--tasks', spec.tasks, '--slots', String(spec.slots)],
        ...(spec.labels === undefined ? [] : ['--labels', spec.labels]),
        ...['--namespace', this.namespace, '--join', this.seed.bindAddr, '--drain-timeout', '1'],
        ...(spec.args ?? []),
      ],
      { ...this.serfEnv, WLM_LOG_LEVEL: 'warn', ...spec.env },
      spec.netns,
    );
    this.workers.set(workerId, worker);
    await worker.waitFor('its start line', (p) => p.stdout.includes('\n'), START_TIMEOUT_MS);
    await this.knownToSchedulers(workerId, since);
    return workerId;
  }

  /**
   * Waits until every running scheduler has logged that `workerId` joined or recovered, among the
   * lines it logged after `since` (by default, ever).
   */
  async knownToSchedulers(workerId: string, since?: ReadonlyMap<CliProcess, number>): Promise<void> {
    for (const scheduler of this.schedulers.filter((s) => s.running)) {
      const from = since?.get(scheduler) ?? 0;
      await scheduler.waitFor(
        `worker ${workerId} joined`,
        (p) =>
          p.logs
            .slice(from)
            .some(
              (record) =>
                record.workerId === workerId &&
                (record.msg === 'worker joined' || record.msg === 'worker recovered'),
            ),
        KNOWN_TIMEOUT_MS,
      );
    }
  }

  worker(workerId: string): CliProcess {
    const worker = this.workers.get(workerId);
    if (worker === undefined) throw new Error(`no worker ${workerId} in this cluster`);
    return worker;
  }

  /** Mails in the stack's SMTP sink about this namespace (its workers, its task types). */
  mails(): StoredMail[] {
    return listMails(this.mailDir).filter((mail) => mail.subject.includes(this.namespace));
  }

  /**
   * Schedulers first, so that workers going away cause no mail; then workers (graceful leave), the
   * Serf agents, the namespace's queues and exchanges (the request queue of every task type the
   * test requested or a worker ran, and of `taskTypes`), and the mails about its workers.
   */
  async cleanUp(taskTypes: readonly string[] = []): Promise<void> {
    await Promise.allSettled(this.schedulers.map((scheduler) => scheduler.stop()));
    await Promise.allSettled([...this.workers.values()].map((worker) => worker.stop()));
    await Promise.allSettled([this.seed, ...this.extraAgents].map((agent) => agent.stop()));
    await this.broker.destroy([
      this.topology.core(),
      ...[...this.workers.keys()].map((workerId) => this.topology.worker(workerId)),
      ...[...new Set([...this.broker.taskTypes, ...this.workerTaskTypes, ...taskTypes])].map((taskType) =>
        this.topology.requests(taskType),
      ),
    ]);
    deleteMails(
      this.mailDir,
      this.mails().map((mail) => mail.id),
    );
  }
}
