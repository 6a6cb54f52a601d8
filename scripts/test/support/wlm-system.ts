import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { loadConfig } from '@wlm/commons/config';
import { createLogger } from '@wlm/commons/logging';
import type { WorkersResponse } from '@wlm/commons/api';
import { Orchestrator } from '@wlm/orchestrator';
import type { ExperimentView } from '@wlm/orchestrator';
import { testDatabase } from '../../../orchestrator/test/integration/support/test-database';
import { ensureBuilt } from '../../../workers/test/support/ensure-built';
import { E2eCluster } from './e2e-cluster';
import type { WorkerSpec } from './e2e-cluster';
import { eventually } from '@wlm/test-support';

export const SYSTEM_TOKEN = 'e2e-system-token-0123456789';
const CLI = join(__dirname, '..', '..', 'dist', 'cli.js');
const ENDED = ['COMPLETED', 'FAILED', 'CANCELLED'];

/** The parts every whole-system test runs: a namespace's cluster, an orchestrator, its database. */
export interface SystemParts {
  readonly cluster: E2eCluster;
  readonly orchestrator: Orchestrator;
  readonly database: ReturnType<typeof testDatabase>;
}

/**
 * A running whole system as tests use it: its API, its CLI and its experiments. `stop` removes all
 * of it. {@link WlmSystem} and the HPC system are the two ways to start one.
 */
export abstract class RunningSystem {
  readonly cluster: E2eCluster;
  readonly orchestrator: Orchestrator;
  private readonly database: ReturnType<typeof testDatabase>;

  protected constructor(parts: SystemParts) {
    ({ cluster: this.cluster, orchestrator: this.orchestrator, database: this.database } = parts);
  }

  /**
   * Starts a whole wlm of real parts in a namespace of the test file's own: a `wlm scheduler` process,
   * and an orchestrator in-process with a database of its own and the API on a free port. Workers are
   * the caller's to add.
   */
  protected static async startParts(label: string): Promise<SystemParts> {
    ensureBuilt(['scripts']);
    const database = testDatabase(label);
    const cluster = await E2eCluster.start({ withOrchestrator: true });
    // The scheduler writes its worker directory where the orchestrator reads it.
    await cluster.startScheduler({ env: { WLM_MYSQL_URL: database.url } });
    const orchestrator = await Orchestrator.start({
      config: loadConfig({
        env: { ...process.env, WLM_MYSQL_URL: database.url, WLM_API_TOKEN: SYSTEM_TOKEN },
      }),
      logger: createLogger({ component: `e2e-${label}`, level: 'silent', pretty: false }),
      namespace: cluster.namespace,
      http: { port: 0 },
      election: { heartbeatMs: 200 },
    });
    return { cluster, orchestrator, database };
  }

  /** Resolves once the orchestrator leads: experiments can be submitted and will run. */
  protected async led(): Promise<void> {
    await eventually('the orchestrator to lead', () => this.orchestrator.isLeader, Boolean, 30_000);
  }

  get url(): string {
    return this.orchestrator.url;
  }

  /** An experiment type of this system's own. */
  type(name: string): string {
    return `${this.cluster.namespace}-${name}`;
  }

  async api<T = Record<string, unknown>>(path: string, body?: unknown, method?: string): Promise<T> {
    const verb = method ?? (body === undefined ? 'GET' : 'POST');
    const response = await fetch(`${this.orchestrator.url}${path}`, {
      method: verb,
      headers: { authorization: `Bearer ${SYSTEM_TOKEN}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const parsed = (await response.json()) as T;
    if (!response.ok) throw new Error(`${verb} ${path}: ${response.status} ${JSON.stringify(parsed)}`);
    return parsed;
  }

  async putDag(definition: { type: string } & Record<string, unknown>): Promise<void> {
    await this.api(`/api/dags/${definition.type}`, definition, 'PUT');
  }

  async submit(type: string, inputs: Record<string, unknown> = {}): Promise<string> {
    return String((await this.api('/api/experiments', { type, inputs, priority: 5 }))['id']);
  }

  experiment(id: string): Promise<ExperimentView> {
    return this.api<ExperimentView>(`/api/experiments/${id}`);
  }

  workers(): Promise<WorkersResponse> {
    return this.api<WorkersResponse>('/api/workers');
  }

  /** The experiment once it ended; a timeout names each task's state and its last run. */
  async ended(id: string, timeoutMs = 60_000): Promise<ExperimentView> {
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

  /** Runs the built `wlm` CLI against this system's orchestrator. */
  cli(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    const { port } = new URL(this.orchestrator.url);
    return new Promise((resolve) => {
      execFile(
        process.execPath,
        [CLI, ...args],
        {
          env: {
            ...process.env,
            WLM_HTTP_HOST: '127.0.0.1',
            WLM_HTTP_PORT: port,
            WLM_API_TOKEN: SYSTEM_TOKEN,
          },
          timeout: 30_000,
        },
        (error, stdout, stderr) =>
          resolve({ code: error === null ? 0 : Number(error.code ?? 1), stdout, stderr }),
      );
    });
  }

  async stop(): Promise<void> {
    await this.orchestrator.close();
    await this.cluster.cleanUp();
    await this.database.drop();
  }
}

/** A whole wlm with the workers the test names (see {@link RunningSystem}). */
export class WlmSystem extends RunningSystem {
  static async start(options: { label: string; workers: readonly WorkerSpec[] }): Promise<WlmSystem> {
    const system = new WlmSystem(await RunningSystem.startParts(options.label));
    await Promise.all(options.workers.map((spec) => system.cluster.startWorker(spec)));
    await system.led();
    return system;
  }
}
