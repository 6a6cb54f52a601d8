import { randomBytes } from 'node:crypto';
import { WlmTopology } from '@wlm/commons/amqp';
import { loadConfig } from '@wlm/commons/config';
import type { WlmConfig } from '@wlm/commons/config';
import type { Logger } from '@wlm/commons/logging';
import { Orchestrator } from '@wlm/orchestrator';
import type { ExperimentView, OrchestratorOptions } from '@wlm/orchestrator';
import { createTestLogger, waitFor } from '@wlm/test-support';
import { auth, driver as createDriver } from 'neo4j-driver';
import { FakeCluster } from './fake-cluster';
import { testDatabase } from './test-database';
import type { TestDatabase } from './test-database';

export const TOKEN = 'test-token-0123456789';

export interface ApiResponse {
  status: number;
  body: Record<string, unknown>;
  headers: Headers;
}

export interface RequestOptions {
  method?: string;
  body?: unknown;
  /** Sent as is, with this content type (default: JSON of `body`). */
  raw?: { text: string; contentType: string };
  /** `null` sends no Authorization header. Default: the test token. */
  token?: string | null;
  /** More request headers, e.g. `prefer`. */
  headers?: Record<string, string>;
}

/**
 * One test file's world: its own MySQL database, AMQP namespace and experiment-type prefix (Neo4j),
 * a fake scheduler + workers, and orchestrators started in-process. `cleanup` removes all of it.
 */
export class OrchestratorEnv {
  readonly db: TestDatabase;
  readonly topology: WlmTopology;
  readonly prefix: string;
  readonly config: WlmConfig;
  readonly logger: Logger;
  cluster!: FakeCluster;
  private readonly orchestrators: Orchestrator[] = [];
  private baseUrl: string | undefined;

  constructor(label: string) {
    const suffix = randomBytes(3).toString('hex');
    this.db = testDatabase(label);
    this.topology = new WlmTopology(`t-${label}-${suffix}`);
    this.prefix = `t${suffix}${label}`.slice(0, 24);
    this.logger = createTestLogger('test');
    this.config = loadConfig({
      env: { ...process.env, WLM_MYSQL_URL: this.db.url, WLM_API_TOKEN: TOKEN, WLM_LOG_LEVEL: 'silent' },
    });
  }

  /** An experiment type of this file, e.g. `t1a2b3cengine-diamond`. */
  type(name: string): string {
    return `${this.prefix}-${name}`;
  }

  /** The fake scheduler and workers; {@link start} starts them too. */
  async startCluster(): Promise<FakeCluster> {
    this.cluster ??= await FakeCluster.start(this.config.rabbitmq.url, this.topology, this.logger);
    return this.cluster;
  }

  async start(options: Partial<OrchestratorOptions> = {}): Promise<Orchestrator> {
    await this.startCluster();
    const orchestrator = await Orchestrator.start({
      config: this.config,
      logger: this.logger,
      namespace: this.topology.namespace,
      http: { port: 0 },
      election: { heartbeatMs: 200 },
      ...options,
    });
    this.orchestrators.push(orchestrator);
    this.baseUrl ??= orchestrator.url;
    return orchestrator;
  }

  /** Waits until `orchestrator` leads and consumes events. */
  async leading(orchestrator: Orchestrator): Promise<void> {
    await this.until('the orchestrator to lead', () => orchestrator.isLeader);
  }

  use(url: string): void {
    this.baseUrl = url;
  }

  async request(path: string, options: RequestOptions = {}): Promise<ApiResponse> {
    if (this.baseUrl === undefined) throw new Error('start an orchestrator first');
    const headers: Record<string, string> = { ...options.headers };
    const token = options.token === undefined ? TOKEN : options.token;
    if (token !== null) headers['authorization'] = `Bearer ${token}`;
    let body: string | undefined;
    if (options.raw !== undefined) {
      headers['content-type'] = options.raw.contentType;
      body = options.raw.text;
    } else if (options.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(options.body);
    }
    const response = await fetch(`${this.baseUrl}${path}`, {
      method: options.method ?? (body === undefined ? 'GET' : 'POST'),
      headers,
      ...(body === undefined ? {} : { body }),
    });
    const text = await response.text();
    let parsed: ApiResponse['body'] = {};
    try {
      parsed = text === '' ? {} : (JSON.parse(text) as ApiResponse['body']);
    } catch {
      parsed = { text };
    }
    return { status: response.status, body: parsed, headers: response.headers };
  }

  async putDag(definition: { type: string } & Record<string, unknown>): Promise<ApiResponse> {
    const response = await this.request(`/api/dags/${definition.type}`, { method: 'PUT', body: definition });
    if (response.status !== 201) throw new Error(`PUT dag failed: ${JSON.stringify(response.body)}`);
    return response;
  }

  async submit(
    type: string,
    inputs: Record<string, unknown> = {},
    extra: Record<string, unknown> = {},
  ): Promise<string> {
    const response = await this.request('/api/experiments', {
      body: { type, inputs, priority: 5, ...extra },
    });
    if (response.status !== 201 && response.status !== 200) {
      throw new Error(`submit failed: ${response.status} ${JSON.stringify(response.body)}`);
    }
    return String(response.body['id']);
  }

  /** `GET /api/experiments/:id`, typed as the API promises (the tests check it). */
  async experiment(id: string): Promise<ExperimentView> {
    return (await this.request(`/api/experiments/${id}`)).body as unknown as ExperimentView;
  }

  async waitForState(id: string, state: string, timeoutMs = 30_000): Promise<ExperimentView> {
    let last: ExperimentView | undefined;
    await this.until(
      `experiment ${id} to be ${state}`,
      async () => {
        last = await this.experiment(id);
        return last.state === state;
      },
      timeoutMs,
    ).catch((error: unknown) => {
      throw new Error(`${(error as Error).message}; last seen: ${JSON.stringify(last)}`);
    });
    if (last === undefined) throw new Error('unreachable');
    return last;
  }

  /** {@link waitFor} with this file's patience for a whole orchestrator: 30 s unless told. */
  async until(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
    await waitFor(what, condition, timeoutMs);
  }

  async stopOrchestrators(): Promise<void> {
    await Promise.all(this.orchestrators.splice(0).map((orchestrator) => orchestrator.close()));
  }

  async cleanup(): Promise<void> {
    await this.stopOrchestrators();
    await this.cluster?.stop();
    const ids = await this.db
      .rows(`SELECT id FROM \`${this.db.name}\`.experiments`)
      .then((rows) => rows.map((row) => String(row['id'])))
      .catch(() => [] as string[]);
    const { neo4j } = this.config;
    const driver = createDriver(neo4j.url, auth.basic(neo4j.user, neo4j.password));
    try {
      await driver.executeQuery(
        'MATCH (n) WHERE ((n:MasterDag OR n:MasterTask) AND n.experimentType STARTS WITH $prefix) ' +
          'OR ((n:Task OR n:ConcreteDag) AND n.experimentId IN $ids) DETACH DELETE n',
        { prefix: `${this.prefix}-`, ids },
      );
    } finally {
      await driver.close();
    }
    await this.db.drop();
  }
}
