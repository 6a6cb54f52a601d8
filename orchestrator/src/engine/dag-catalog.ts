import { RecentMap } from '@wlm/commons/collections';
import { DagGraph } from '@wlm/commons/dag';
import type { DagStore, MasterDag } from '../domain/dag-store';
import { DagNotFoundError } from '../errors/dag-not-found-error';
import { largestRetryBudget } from './attempts';
import { requiredInputs } from './required-inputs';
import type { RequiredInput } from './required-inputs';

/** A master-DAG version with what the engine derives from it. */
export interface CatalogEntry {
  dag: MasterDag;
  graph: DagGraph;
  /** Tasks nothing depends on: an experiment can only be complete once each of them is executed. */
  sinks: ReadonlySet<string>;
  requiredInputs: readonly RequiredInput[];
  /** The largest retry budget of the DAG's tasks ({@link largestRetryBudget}). */
  retryBudget: number;
}

/** Versions are immutable, so a bounded cache never goes stale; this many fit any installation. */
const MAX_ENTRIES = 1000;

/**
 * Master DAGs by (type, version), read from the DAG store once per process. The event path asks for
 * the DAG of every batch's experiments, so it must not cost a Neo4j query each time.
 */
export class DagCatalog {
  private readonly entries = new RecentMap<string, Promise<CatalogEntry>>({ capacity: MAX_ENTRIES });

  constructor(private readonly store: Pick<DagStore, 'getMasterDag'>) {}

  /** The latest version of `type` (always read from the store: a new version may have been put). */
  async latest(type: string): Promise<CatalogEntry> {
    const dag = await this.store.getMasterDag(type);
    if (dag === undefined) throw new DagNotFoundError(type);
    const key = `${type}@${dag.version}`;
    let entry = this.entries.get(key);
    if (entry === undefined) {
      entry = Promise.resolve(describe(dag));
      this.entries.set(key, entry);
    }
    return entry;
  }

  /** One version; {@link DagNotFoundError} when it does not exist. */
  version(type: string, version: number): Promise<CatalogEntry> {
    const key = `${type}@${version}`;
    let entry = this.entries.get(key);
    if (entry === undefined) {
      entry = this.store.getMasterDag(type, version).then((dag) => {
        if (dag === undefined) throw new DagNotFoundError(type, version);
        return describe(dag);
      });
      // A failed read (Neo4j down) must not be cached.
      void entry.catch(() => this.entries.delete(key));
      this.entries.set(key, entry);
    }
    return entry;
  }
}

function describe(dag: MasterDag): CatalogEntry {
  const graph = DagGraph.from(dag.definition);
  return {
    dag,
    graph,
    sinks: new Set(graph.taskIds.filter((id) => graph.dependentsOf(id).length === 0)),
    requiredInputs: requiredInputs(dag.definition),
    retryBudget: largestRetryBudget(dag.definition),
  };
}
