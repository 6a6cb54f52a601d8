/**
 * The namespace a bench runs on, and what it owns there: its MySQL database, its experiment types in
 * Neo4j, its queues. The bench refuses to start while anything consumes that namespace's queues —
 * another wlm, or another bench — and removes what an interrupted run left before it starts.
 */
import { connect } from 'amqplib';
import { createPool } from 'mysql2/promise';
import type { Pool } from 'mysql2/promise';
import { auth, driver as neo4jDriver } from 'neo4j-driver';
import { WlmTopology, deleteTopology, mergeTopology } from '@wlm/commons/amqp';
import type { WlmConfig } from '@wlm/commons/config';
import { BENCH_TASK_TYPE } from './shapes';

export class BenchNamespace {
  readonly topology: WlmTopology;
  /** `wlmbench_<namespace>`: the orchestrator's database, created by its migrations. */
  readonly database: string;

  constructor(
    readonly namespace: string,
    private readonly config: WlmConfig,
  ) {
    this.topology = new WlmTopology(namespace);
    this.database = `wlmbench_${namespace.replace(/-/g, '_')}`.slice(0, 64);
  }

  /** Experiment types of the bench are `<namespace>-<shape>`. */
  get typePrefix(): string {
    return this.namespace;
  }

  /** `mysql.url` pointing at the bench's database. */
  get mysqlUrl(): string {
    const url = new URL(this.config.mysql.url);
    url.pathname = `/${this.database}`;
    return url.toString();
  }

  /** Throws, naming the queue, when a consumer reads one of the namespace's central queues. */
  async refuseWhenInUse(): Promise<void> {
    const model = await connect(this.config.rabbitmq.url);
    try {
      const { schedulerRequests, orchestratorEvents, schedulerEvents } = this.topology.queues;
      for (const queue of [schedulerRequests, orchestratorEvents, schedulerEvents]) {
        // A passive check of a missing queue closes its channel: one channel per look.
        const channel = await model.createChannel();
        channel.on('error', () => undefined);
        const found = await channel.checkQueue(queue).catch(() => undefined);
        if (found !== undefined && found.consumerCount > 0) {
          throw new Error(
            `another wlm runs on namespace "${this.namespace}" (${found.consumerCount} consumer(s) on ${queue}); ` +
              'stop it, or run the bench on another namespace with --namespace NAME',
          );
        }
        if (found !== undefined) await channel.close();
      }
    } finally {
      await model.close().catch(() => undefined);
    }
  }

  /** A pool on the bench's database (which the orchestrator creates). */
  pool(): Pool {
    return createPool({ uri: this.mysqlUrl, connectionLimit: 2 });
  }

  /** Removes the database, the Neo4j nodes of the bench's types and the namespace's queues. */
  async clear(): Promise<void> {
    const server = new URL(this.config.mysql.url);
    server.pathname = '/';
    const admin = createPool({ uri: server.toString(), connectionLimit: 1 });
    let experimentIds: string[] = [];
    try {
      const [rows] = await admin
        .query(`SELECT id FROM \`${this.database}\`.experiments`)
        .catch(() => [[] as { id: string }[]]);
      experimentIds = (rows as { id: string }[]).map((row) => String(row.id));
      await admin.query(`DROP DATABASE IF EXISTS \`${this.database}\``);
    } finally {
      await admin.end();
    }
    const { neo4j } = this.config;
    const driver = neo4jDriver(neo4j.url, auth.basic(neo4j.user, neo4j.password));
    const session = driver.session();
    try {
      // In transactions of their own: a 10,000-node DAG is too much for one.
      await session.run(
        'MATCH (n) WHERE (n:Task OR n:ConcreteDag) AND n.experimentId IN $ids ' +
          'CALL { WITH n DETACH DELETE n } IN TRANSACTIONS OF 5000 ROWS',
        { ids: experimentIds },
      );
      await session.run(
        'MATCH (n) WHERE (n:MasterDag OR n:MasterTask) AND n.experimentType STARTS WITH $prefix ' +
          'CALL { WITH n DETACH DELETE n } IN TRANSACTIONS OF 5000 ROWS',
        { prefix: `${this.typePrefix}-` },
      );
    } finally {
      await session.close();
      await driver.close();
    }
    const model = await connect(this.config.rabbitmq.url);
    try {
      await deleteTopology(
        await model.createChannel(),
        mergeTopology(this.topology.core(), this.topology.requests(BENCH_TASK_TYPE)),
      );
    } finally {
      await model.close();
    }
  }
}
