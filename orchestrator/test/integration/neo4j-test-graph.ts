import { randomBytes } from 'node:crypto';
import { loadConfig } from '@wlm/commons/config';
import { createLogger } from '@wlm/commons/logging';
import type { DagDefinition } from '@wlm/commons/dag';
import { Neo4jDagStore } from '@wlm/orchestrator';
import { auth, driver as createDriver } from 'neo4j-driver';
import type { Driver } from 'neo4j-driver';
import { storeForFile } from './support/store-for-file';

/**
 * Neo4j Community has one user database, so each test file works in a namespace of its own: every
 * experiment type and experiment id it creates starts with a random prefix, and `cleanup` deletes
 * exactly the nodes under that prefix. Files can then run in parallel and never see each other.
 */
export interface TestGraph {
  prefix: string;
  /** An experiment type in this namespace, e.g. `n4ab12cd34-diamond`. */
  type(name: string): string;
  /** A fresh experiment id in this namespace. */
  experimentId(name?: string): string;
  openStore(): Promise<Neo4jDagStore>;
  /** A raw driver for assertions the store does not offer. */
  driver: Driver;
  /** Runs a read query and returns its records as plain objects. */
  rows(query: string, parameters?: Record<string, unknown>): Promise<Record<string, unknown>[]>;
  /** Nodes of this namespace still in the database, by label. */
  remaining(): Promise<Record<string, number>>;
  /** Deletes every node of this namespace and closes the driver. */
  cleanup(): Promise<void>;
}

const logger = createLogger({ component: 'test', level: 'silent', pretty: false });

export function testGraph(): TestGraph {
  const { neo4j } = loadConfig();
  const prefix = `n4${randomBytes(4).toString('hex')}`;
  const driver = createDriver(neo4j.url, auth.basic(neo4j.user, neo4j.password));
  let sequence = 0;
  const rows = async (query: string, parameters: Record<string, unknown> = {}) => {
    const result = await driver.executeQuery(query, parameters);
    return result.records.map((record) => record.toObject() as Record<string, unknown>);
  };
  // Master DAGs are found by type, concrete DAGs by experiment id; both carry the prefix.
  const inNamespace =
    'WHERE ((n:MasterDag OR n:MasterTask) AND n.experimentType STARTS WITH $prefix) ' +
    'OR ((n:Task OR n:ConcreteDag) AND n.experimentId STARTS WITH $prefix)';
  return {
    prefix,
    type: (name) => `${prefix}-${name}`,
    experimentId: (name = 'exp') => `${prefix}-${name}-${(sequence += 1)}`,
    openStore: () => Neo4jDagStore.open({ ...neo4j, logger }),
    driver,
    rows,
    async remaining() {
      const found = await rows(`MATCH (n) ${inNamespace} RETURN labels(n)[0] AS label, count(*) AS n`, {
        prefix,
      });
      return Object.fromEntries(found.map((row) => [String(row['label']), Number(row['n'])]));
    },
    async cleanup() {
      try {
        await driver.executeQuery(`MATCH (n) ${inNamespace} DETACH DELETE n`, { prefix });
      } finally {
        await driver.close();
      }
    },
  };
}

/**
 * The namespace and the Neo4jDagStore of a test file: the store is opened before its tests and handed
 * to `use`, closed after them, and the namespace's nodes deleted.
 */
export function graphStoreForFile(use: (store: Neo4jDagStore) => void): TestGraph {
  const graph = testGraph();
  storeForFile(
    () => graph.openStore(),
    () => graph.cleanup(),
    use,
  );
  return graph;
}

/** a → (b, c) → d, with params that use inputs and upstream outputs, and every optional field once. */
export function diamond(type: string, description = 'fan-out and fan-in'): DagDefinition {
  return {
    type,
    description,
    tasks: [
      { id: 'a', type: 'echo', params: { message: '{{inputs.msg}}' } },
      { id: 'b', type: 'echo', after: ['a'], params: { from: '{{tasks.a.outputs.message}}' } },
      { id: 'c', type: 'echo', after: ['a'], retry: { maxAttempts: 3, backoffMs: 500 }, timeoutMs: 60000 },
      {
        id: 'd',
        type: 'echo',
        after: ['b', 'c'],
        params: { joined: '{{tasks.b.outputs.from}}+{{tasks.c.outputs.n}}' },
        constraints: { labels: { site: 'local' } },
      },
    ],
  };
}

/** `root` → `w000` … `w<n-1>` → `join`: n-way fan-out and n-way fan-in. */
export function wide(type: string, width: number): DagDefinition {
  const middle = Array.from({ length: width }, (_, i) => `w${String(i).padStart(3, '0')}`);
  return {
    type,
    tasks: [
      { id: 'root', type: 'echo' },
      ...middle.map((id) => ({ id, type: 'echo', after: ['root'] })),
      { id: 'join', type: 'echo', after: middle },
    ],
  };
}
