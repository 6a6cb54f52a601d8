import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { createLogger, loadConfig } from '@wlm/commons';
import { Orchestrator } from '@wlm/orchestrator';
import type { ExperimentView } from '@wlm/orchestrator';
import { stackComputeResource } from '../../src';
import { testDatabase } from '../../../orchestrator/test/integration/support/test-database';
import { ensureBuilt } from '../../../workers/test/support/ensure-built';
import { E2eCluster } from './e2e-cluster';
import type { WorkerSpec } from './e2e-cluster';
import { eventually } from './wait';

const REPO = join(__dirname, '..', '..', '..');
const TOKEN = 'e2e-hpc-token-0123456789';
/** The compute resource the workers know the stack's sshd + SLURM by. */
export const HPC_RESOURCE = 'cluster';
const ENDED = ['COMPLETED', 'FAILED', 'CANCELLED'];

/**
 * A whole wlm for HPC tests: an orchestrator (in-process, with a database of its own), the real
 * `wlm scheduler` and `wlm worker` processes serving env-setup, data-staging and job-submission with
 * the stack's sshd and SLURM configured as compute resource {@link HPC_RESOURCE}, all in a
 * namespace of the test file's own. `stop` removes all of it.
 */
export class HpcSystem {
  readonly workerIds: string[] = [];

  private constructor(
    readonly cluster: E2eCluster,
    private readonly orchestrator: Orchestrator,
    private readonly database: ReturnType<typeof testDatabase>,
    /** The test's own directory on the worker's disk, inside `staging.localRoots`. */
    readonly scratch: string,
    /** The test's own directory on the compute resources, inside their work root. */
    readonly remoteScratch: string,
    private readonly configFile: string,
  ) {}

  /**
   * `resources`: more resources the workers know, each the stack's sshd with some settings of its
   * own (e.g. `{ vm: { batchSystem: 'local' } }`).
   */
  static async start(options: {
    workers: number;
    resources?: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
  }): Promise<HpcSystem> {
    ensureBuilt(['scripts']);
    const scratch = mkdtempSync(join(tmpdir(), 'wlm-e2e-hpc-'));
    const configFile = join(scratch, 'wlm.json');
    const resource = stackComputeResource(loadConfig(), REPO);
    // The stack's sshd is this host: the resources' remote paths are on this disk, in their work root.
    const remoteScratch = join(resource.workRoot, basename(scratch));
    mkdirSync(remoteScratch, { recursive: true });
    const more = Object.entries(options.resources ?? {}).map(([name, own]) => [
      name,
      { ...resource, ...own },
    ]);
    writeFileSync(
      configFile,
      JSON.stringify({
        resources: { [HPC_RESOURCE]: resource, ...Object.fromEntries(more) },
        staging: { localRoots: [scratch] },
      }),
    );
    const database = testDatabase('hpc');
    const cluster = await E2eCluster.start({ withOrchestrator: true });
    await cluster.startScheduler();
    const orchestrator = await Orchestrator.start({
      config: loadConfig({ env: { ...process.env, WLM_MYSQL_URL: database.url, WLM_API_TOKEN: TOKEN } }),
      logger: createLogger({ component: 'e2e-hpc', level: 'silent', pretty: false }),
      namespace: cluster.namespace,
      http: { port: 0 },
      election: { heartbeatMs: 200 },
    });
    const system = new HpcSystem(cluster, orchestrator, database, scratch, remoteScratch, configFile);
    await Promise.all(Array.from({ length: options.workers }, () => system.addWorker()));
    await eventually('the orchestrator to lead', () => orchestrator.isLeader, Boolean, 30_000);
    return system;
  }

  /**
   * Starts one more worker, by default serving the HPC task types; resolves with its id once
   * schedulers know it. `spec` may name other tasks, labels (`k=v,…`), add to its environment or
   * give more options.
   */
  async addWorker(spec: Partial<Omit<WorkerSpec, 'name'>> = {}): Promise<string> {
    const workerId = await this.cluster.startWorker({
      name: `hpc${this.cluster.workers.size + 1}`,
      tasks: spec.tasks ?? 'env-setup,data-staging,job-submission',
      slots: spec.slots ?? 2,
      ...(spec.labels === undefined ? {} : { labels: spec.labels }),
      env: { WLM_CONFIG: this.configFile, ...spec.env },
      ...(spec.args === undefined ? {} : { args: spec.args }),
    });
    this.workerIds.push(workerId);
    return workerId;
  }

  /** Where the orchestrator's API (and its /metrics, /healthz, /readyz) listens. */
  get orchestratorUrl(): string {
    return this.orchestrator.url;
  }

  /** An experiment type of this system's own. */
  type(name: string): string {
    return `${this.cluster.namespace}-${name}`;
  }

  async api(
    path: string,
    body?: unknown,
    method = body === undefined ? 'GET' : 'POST',
  ): Promise<Record<string, unknown>> {
    const response = await fetch(`${this.orchestrator.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const parsed = (await response.json()) as Record<string, unknown>;
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(parsed)}`);
    return parsed;
  }

  async putDag(definition: { type: string } & Record<string, unknown>): Promise<void> {
    await this.api(`/api/dags/${definition.type}`, definition, 'PUT');
  }

  async submit(type: string, inputs: Record<string, unknown>): Promise<string> {
    return String((await this.api('/api/experiments', { type, inputs, priority: 5 }))['id']);
  }

  async experiment(id: string): Promise<ExperimentView> {
    return (await this.api(`/api/experiments/${id}`)) as unknown as ExperimentView;
  }

  /** The experiment once it ended; a timeout names each task's state and its last run. */
  async ended(id: string, timeoutMs = 180_000): Promise<ExperimentView> {
    let last: ExperimentView | undefined;
    try {
      return await eventually(
        `experiment ${id} to end`,
        async () => (last = await this.experiment(id)),
        (view) => ENDED.includes(view.state),
        timeoutMs,
      );
    } catch (error) {
      const tasks = last?.tasks.map(
        (task) => `${task.taskId}=${task.state} ${JSON.stringify(task.runs.at(-1) ?? null)}`,
      );
      throw new Error(`${(error as Error).message.slice(0, 200)}\ntasks: ${tasks?.join('\n') ?? 'none'}`);
    }
  }

  async stop(): Promise<void> {
    await this.orchestrator.close();
    await this.cluster.cleanUp();
    await this.database.drop();
    rmSync(this.scratch, { recursive: true, force: true });
    rmSync(this.remoteScratch, { recursive: true, force: true });
  }
}
