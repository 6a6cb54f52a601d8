import { EventEmitter } from 'node:events';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import { AmqpConnection, DeadLetterQueue, WlmTopology } from '@wlm/commons/amqp';
import { ServiceLifecycle } from '@wlm/commons/lifecycle';
import type { WlmConfig } from '@wlm/commons/config';
import type { CloseStep, ServiceLifecycleView, ServiceState } from '@wlm/commons/lifecycle';
import type { Logger } from '@wlm/commons/logging';
import type { DependencyProbe } from '@wlm/commons/metrics';
import { createApp } from './api/app';
import { ChangeFeed } from './api/change-feed';
import { checkExposure } from './api/exposure-check';
import { createEngine } from './engine/create-engine';
import type { Dispatcher } from './engine/dispatcher';
import type { LeaderDuties } from './engine/leader-duties';
import type { Engine } from './engine/engine';
import { createOrchestratorMetrics } from './metrics/orchestrator-metrics';
import { LeaderElection } from './stores/mysql/leader-election';
import type { LeaderElectionOptions } from './stores/mysql/leader-election';
import { MysqlStateStore } from './stores/mysql/mysql-state-store';
import { Neo4jDagStore } from './stores/neo4j/neo4j-dag-store';

export type OrchestratorEvents = {
  /** The orchestrator's lifecycle moved (`ServiceLifecycle`); it fails only when it cannot start. */
  state: [state: ServiceState, previous: ServiceState];
  /** This instance leads: it has started recovery and will consume task events. */
  elected: [{ term: number }];
  /** This instance stopped leading. */
  deposed: [{ term: number; reason: string }];
};

export interface OrchestratorOptions {
  config: WlmConfig;
  logger: Logger;
  /** AMQP namespace of the installation (queue and exchange prefix). Default `wlm`. */
  namespace?: string | undefined;
  /** This instance in the leadership table and in logs. Default `<hostname>:<pid>`. */
  instanceId?: string | undefined;
  /** Overrides `config.http` (port 0 picks a free port; see {@link Orchestrator.url}). */
  http?: { host?: string | undefined; port?: number | undefined } | undefined;
  /** Election timings, e.g. a faster heartbeat for tests. */
  election?:
    Pick<LeaderElectionOptions, 'heartbeatMs' | 'heartbeatTimeoutMs' | 'lockWaitSeconds'> | undefined;
  /** Most task events per store transaction. Default 500. */
  batchSize?: number | undefined;
  /** Overrides `config.orchestrator.reconcile*`, e.g. a short interval for tests. */
  reconciler?: { intervalMs?: number | undefined; maxPerPass?: number | undefined } | undefined;
  /** How long in-flight HTTP requests and event batches may take to finish on close. Default 30 s. */
  drainTimeoutMs?: number | undefined;
}

interface Resources {
  states?: MysqlStateStore;
  dags?: Neo4jDagStore;
  amqp?: AmqpConnection;
  duties?: LeaderDuties;
  dispatcher?: Dispatcher;
  election?: LeaderElection;
  server?: Server;
  feed?: ChangeFeed;
}

/**
 * One orchestrator process: REST API, engine, and — while it leads — recovery and the task-event
 * consumer. Several may run against the same stores and broker; one leads (a MySQL lock), any
 * serves the API.
 *
 * @example
 * ```ts
 * const orchestrator = await Orchestrator.start({ config: loadConfig(), logger });
 * console.log(`API on ${orchestrator.url}`);
 * process.once('SIGTERM', () => void orchestrator.close());
 * ```
 */
export class Orchestrator extends EventEmitter<OrchestratorEvents> {
  private readonly resources: Resources = {};
  private engineValue: Engine | undefined;
  private readonly logger: Logger;
  private readonly machine: ServiceLifecycle;
  readonly instanceId: string;

  private constructor(private readonly options: OrchestratorOptions) {
    super();
    this.instanceId = options.instanceId ?? `${hostname()}:${process.pid}`;
    this.logger = options.logger.child({ instance: this.instanceId });
    this.machine = new ServiceLifecycle({
      name: 'orchestrator',
      logger: this.logger,
      closeSteps: () => this.closeSteps(),
    });
    this.machine.on('state', (state, previous) => this.emit('state', state, previous));
  }

  /**
   * Opens the stores (migrating MySQL, creating Neo4j indexes), the broker, the API; campaigns to lead.
   *
   * @throws ConfigError before opening anything when the API would listen beyond the loopback
   *   address with the public default token.
   */
  static async start(options: OrchestratorOptions): Promise<Orchestrator> {
    checkExposure(options.http?.host ?? options.config.http.host, options.config.api.tokens);
    const orchestrator = new Orchestrator(options);
    await orchestrator.machine.start(() => orchestrator.open());
    return orchestrator;
  }

  get state(): ServiceState {
    return this.machine.state;
  }

  /** Its lifecycle: the state, and a promise of how it ended (what `runService` waits for). */
  get lifecycle(): ServiceLifecycleView {
    return this.machine;
  }

  get isLeader(): boolean {
    return this.resources.election?.isLeader ?? false;
  }

  /** The engine, for embedding (tests, `wlm standalone`). */
  get engine(): Engine {
    if (this.engineValue === undefined) throw new Error('the orchestrator has not started');
    return this.engineValue;
  }

  /** Where the API listens, e.g. `http://127.0.0.1:8080`. */
  get url(): string {
    const address = this.resources.server?.address() as AddressInfo | null | undefined;
    if (address === null || address === undefined) throw new Error('the orchestrator is not listening');
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    return `http://${host}:${address.port}`;
  }

  private async open(): Promise<void> {
    const { config } = this.options;
    const logger = this.logger;
    const states = await MysqlStateStore.open({
      url: config.mysql.url,
      logger,
      timeoutMs: config.mysql.timeoutMs,
      // A session silent for a lease is dropped with its transaction: a leader cut off mid-batch
      // cannot keep rows locked against its successor.
      sessionTimeoutSeconds: config.leader.leaseSeconds,
    });
    this.resources.states = states;
    const dags = await Neo4jDagStore.open({ ...config.neo4j, logger });
    this.resources.dags = dags;
    const topology = new WlmTopology(this.options.namespace ?? 'wlm');
    const amqp = await AmqpConnection.connect({
      url: config.rabbitmq.url,
      caFile: config.rabbitmq.caFile,
      maxDeliveries: config.rabbitmq.maxDeliveries,
      logger,
      topology: topology.core(),
      connectionName: `orchestrator ${this.instanceId}`,
      closeTimeoutMs: this.options.drainTimeoutMs ?? 30_000,
    });
    this.resources.amqp = amqp;
    const { engine, catalog, duties, dispatcher, events } = createEngine({
      states,
      dags,
      amqp,
      topology,
      logger,
      batchSize: this.options.batchSize,
      reconcileIntervalMs: this.options.reconciler?.intervalMs ?? config.orchestrator.reconcileIntervalMs,
      reconcileMaxPerPass: this.options.reconciler?.maxPerPass ?? config.orchestrator.reconcileMaxPerPass,
      handoverTimeoutMs: config.leader.handoverTimeoutMs,
      batchesInFlight: config.leader.eventBatchesInFlight,
    });
    this.engineValue = engine;
    this.resources.duties = duties;
    this.resources.dispatcher = dispatcher;

    const probes: DependencyProbe[] = [
      { name: 'mysql', check: async () => void (await states.getLeader()) },
      { name: 'neo4j', check: async () => void (await dags.getMasterDag('healthz-probe')) },
      {
        name: 'rabbitmq',
        check: async () => {
          if (amqp.state !== 'connected') throw new Error(`the AMQP connection is ${amqp.state}`);
        },
      },
    ];
    const namespace = this.options.namespace ?? 'wlm';
    const feed = new ChangeFeed(states, namespace, logger);
    this.resources.feed = feed;
    const app = createApp({
      namespace,
      feed,
      deadLetters: DeadLetterQueue.over(amqp, namespace),
      engine,
      states,
      dags,
      catalog,
      tokens: config.api.tokens,
      endpoints: {
        registry: createOrchestratorMetrics({
          isLeader: () => this.isLeader,
          states,
          events,
          amqp,
          topology,
          logger,
        }),
        probes,
        status: () => ({ lifecycle: this.state, leader: this.isLeader, instance: this.instanceId }),
      },
      logger,
    });
    const server = createServer(app);
    this.resources.server = server;
    await listen(
      server,
      this.options.http?.port ?? config.http.port,
      this.options.http?.host ?? config.http.host,
    );
    this.campaign();
    this.logger.info({ url: this.url }, 'orchestrator running');
  }

  private campaign(): void {
    const { config } = this.options;
    const election = new LeaderElection({
      url: config.mysql.url,
      logger: this.logger,
      candidateId: this.instanceId,
      ...leaseTimings(config.leader.leaseSeconds),
      ...this.options.election,
    });
    this.resources.election = election;
    election.on('elected', ({ term }) => {
      this.emit('elected', { term });
      void this.resources.duties?.elected(term);
    });
    election.on('deposed', ({ term, reason }) => {
      this.emit('deposed', { term, reason });
      void this.resources.duties?.deposed();
    });
    void election.campaign();
  }

  /**
   * Drains and stops: no new HTTP requests, leadership handed over (a standby takes over at once),
   * the event batch in hand finished and acked, then connections closed. Idempotent.
   */
  close(): Promise<void> {
    return this.machine.close();
  }

  private closeSteps(): CloseStep[] {
    const { server, feed, election, duties, dispatcher, amqp, dags, states } = this.resources;
    const engine = this.engineValue;
    return [
      // Live streams never finish by themselves: end them, or the server would wait for its timeout.
      ['end the change streams', feed && (async () => feed.close())],
      ['stop the HTTP server', server && (() => stopServer(server, this.options.drainTimeoutMs ?? 30_000))],
      ['start the experiments accepted last', engine && (() => engine.startsSettled())],
      ['resign the leadership', election && (() => election.resign())],
      ['stop consuming events', duties && (() => duties.stop())],
      ['finish dispatch records', dispatcher && (() => dispatcher.idle())],
      ['close the AMQP connection', amqp && (() => amqp.close())],
      ['close the Neo4j store', dags && (() => dags.close())],
      ['close the MySQL store', states && (() => states.close())],
    ];
  }
}

/**
 * Election timings for a lease of `leaseSeconds`: the server frees the lock of a session silent that
 * long, and the leader, renewing every tenth of it, gives up after three tenths without an answer —
 * well before a standby can win (docs/recovery.md, "A change of leader").
 */
function leaseTimings(
  leaseSeconds: number,
): Required<Pick<LeaderElectionOptions, 'heartbeatMs' | 'heartbeatTimeoutMs' | 'sessionTimeoutSeconds'>> {
  return {
    heartbeatMs: leaseSeconds * 100,
    heartbeatTimeoutMs: leaseSeconds * 200,
    sessionTimeoutSeconds: leaseSeconds,
  };
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** Stops accepting connections, lets requests in flight finish, then cuts what is left. */
async function stopServer(server: Server, timeoutMs: number): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  const timer = setTimeout(() => server.closeAllConnections(), timeoutMs);
  try {
    await closed;
  } finally {
    clearTimeout(timer);
  }
}
