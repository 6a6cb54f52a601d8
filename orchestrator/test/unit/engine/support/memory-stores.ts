import { dagDefinitionSchema } from '@wlm/commons/dag';
import type { DagDefinition } from '@wlm/commons/dag';
import type {
  ConcreteDag,
  DagStore,
  MasterDag,
  ReadyTask,
  RecordedTaskEvents,
  RunCompletions,
  TaskCompletion,
  TaskKey,
  TaskStateChange,
} from '../../../../src/domain/dag-store';
import type { JsonObject } from '../../../../src/domain/json';
import type { Experiment, TaskRun } from '../../../../src/domain/records';
import type { AuditEventInput, StateStore, TaskRunBatch } from '../../../../src/domain/state-store';
import type { TaskReportUpdate } from '../../../../src/domain/task-report';
import { TASK_STATE_RANK, taskStateAdvances } from '../../../../src/domain/task-state';
import type { TaskState } from '../../../../src/domain/task-state';

/*
 * The two stores as the engine's decision classes see them, in memory, with the rules the real
 * stores keep (docs/data-model-mysql.md, docs/data-model-neo4j.md): MySQL's task runs forward only
 * by rank and audit entries once per dedupe key; Neo4j's nodes forward only by (attempt, rank), an
 * executed node never changing. A test can make the next writes fail, as an outage would.
 */

/** One node of a concrete DAG. */
export interface MemoryNode {
  taskId: string;
  taskType: string;
  after: readonly string[];
  params: JsonObject;
  state: TaskState;
  isExecuted: boolean;
  attempt: number;
  outputs: JsonObject | null;
}

const runKey = (experimentId: string, run: number): string => `${experimentId}:${run}`;

/** A two-task pipeline, `a` then `b` (the sink), of experiment type `pipeline`. */
export const PIPELINE: DagDefinition = dagDefinitionSchema.parse({
  type: 'pipeline',
  tasks: [
    { id: 'a', type: 'echo', params: { msg: 'hi' } },
    { id: 'b', type: 'echo', after: ['a'], params: { msg: '{{tasks.a.outputs.msg}}' } },
  ],
});

/** The part of the DAG store the event path, the dispatcher and the catalog use. */
export type DagStoreSlice = Pick<
  DagStore,
  'recordTaskEvents' | 'getConcreteDag' | 'setTaskStates' | 'getMasterDag'
>;

export class MemoryDags implements DagStoreSlice {
  readonly masters = new Map<string, DagDefinition>();
  /** Thrown by the next writes while set (an outage). */
  failWrites: Error | undefined;
  private readonly runs = new Map<string, MemoryNode[]>();

  /** Puts `definition` as version 1 and instantiates its run with every node at `attempt`. */
  instantiate(definition: DagDefinition, experimentId: string, run: number, attempt: number): void {
    this.masters.set(definition.type, definition);
    this.runs.set(
      runKey(experimentId, run),
      definition.tasks.map((task) => ({
        taskId: task.id,
        taskType: task.type,
        after: task.after ?? [],
        params: task.params as JsonObject,
        state: 'PENDING',
        isExecuted: false,
        attempt,
        outputs: null,
      })),
    );
  }

  node(experimentId: string, run: number, taskId: string): MemoryNode {
    const node = this.runs.get(runKey(experimentId, run))?.find((n) => n.taskId === taskId);
    if (node === undefined) throw new Error(`no node ${experimentId}:${run}:${taskId}`);
    return node;
  }

  async getMasterDag(experimentType: string, version?: number): Promise<MasterDag | undefined> {
    const definition = this.masters.get(experimentType);
    if (definition === undefined || (version !== undefined && version !== 1)) return undefined;
    return { experimentType, version: 1, definition, createdAt: new Date(0) };
  }

  async recordTaskEvents(
    completions: readonly TaskCompletion[],
    changes: readonly TaskStateChange[],
    dependentsOf: readonly RunCompletions[] = [],
  ): Promise<RecordedTaskEvents> {
    if (this.failWrites !== undefined) throw this.failWrites;
    const executed: TaskKey[] = [];
    for (const completion of completions) {
      const node = this.node(completion.experimentId, completion.run, completion.taskId);
      if (node.isExecuted) continue;
      Object.assign(node, {
        isExecuted: true,
        state: 'COMPLETED',
        attempt: completion.attempt,
        outputs: completion.outputs,
      });
      executed.push(completion);
    }
    const changed = await this.setTaskStates(changes);
    return { executed, changed, ready: this.readyDependents(dependentsOf) };
  }

  async setTaskStates(changes: readonly TaskStateChange[]): Promise<TaskKey[]> {
    if (this.failWrites !== undefined) throw this.failWrites;
    const changed: TaskKey[] = [];
    for (const change of changes) {
      const node = this.node(change.experimentId, change.run, change.taskId);
      const later =
        change.attempt > node.attempt ||
        (change.attempt === node.attempt && taskStateAdvances(node.state, change.state));
      if (node.isExecuted || !later) continue;
      node.state = change.state;
      node.attempt = change.attempt;
      changed.push(change);
    }
    return changed;
  }

  async getConcreteDag(experimentId: string, run: number): Promise<ConcreteDag | undefined> {
    const nodes = this.runs.get(runKey(experimentId, run));
    if (nodes === undefined) return undefined;
    return {
      experimentId,
      run,
      experimentType: 'pipeline',
      version: 1,
      inputs: {},
      createdAt: new Date(0),
      tasks: nodes.map((node) => ({
        taskId: node.taskId,
        taskType: node.taskType,
        state: node.state,
        isExecuted: node.isExecuted,
        attempt: node.attempt,
        outputs: node.outputs,
        context: { params: node.params, inputs: {} },
      })),
      edges: nodes.flatMap((node) => node.after.map((from) => ({ from, to: node.taskId }))),
    };
  }

  /** Dependents of the completions that are ready: not executed, not in flight, every predecessor executed. */
  private readyDependents(runs: readonly RunCompletions[]): ReadyTask[] {
    const ready: ReadyTask[] = [];
    for (const { experimentId, run, completedTaskIds } of runs) {
      const nodes = this.runs.get(runKey(experimentId, run)) ?? [];
      const byId = new Map(nodes.map((node) => [node.taskId, node]));
      for (const node of nodes) {
        if (!node.after.some((id) => completedTaskIds.includes(id))) continue;
        if (node.isExecuted || node.state === 'QUEUED' || node.state === 'RUNNING') continue;
        if (!node.after.every((id) => byId.get(id)?.isExecuted === true)) continue;
        ready.push(readyTask(experimentId, run, node, byId));
      }
    }
    return ready;
  }
}

/** A ready node as the DAG store returns it, with its predecessors' outputs. */
export function readyTask(
  experimentId: string,
  run: number,
  node: MemoryNode,
  byId: ReadonlyMap<string, MemoryNode> = new Map(),
): ReadyTask {
  const upstreamOutputs: Record<string, JsonObject> = {};
  for (const id of node.after) upstreamOutputs[id] = byId.get(id)?.outputs ?? {};
  return {
    experimentId,
    run,
    taskId: node.taskId,
    taskType: node.taskType,
    state: node.state,
    attempt: node.attempt,
    context: { params: node.params, inputs: {} },
    upstreamOutputs,
  };
}

/** The part of the state store the event path and the dispatcher use. */
export type StateStoreSlice = Pick<StateStore, 'getExperiments' | 'listTaskRuns' | 'recordTaskRuns'>;

export class MemoryStates implements StateStoreSlice {
  readonly experiments = new Map<string, Experiment>();
  /** By `experimentId:run:taskId:attempt`. */
  readonly taskRuns = new Map<string, TaskRun>();
  /** By dedupe key: an entry is written once. */
  readonly audit = new Map<string, AuditEventInput>();
  readonly reports: TaskReportUpdate[] = [];
  /** Thrown by the next writes while set (an outage). */
  failWrites: Error | undefined;

  addExperiment(id: string, changes: Partial<Experiment> = {}): Experiment {
    const experiment: Experiment = {
      id,
      type: PIPELINE.type,
      dagVersion: 1,
      state: 'RUNNING',
      priority: 5,
      inputs: {},
      idempotencyKey: null,
      run: 1,
      failureReason: null,
      createdAt: new Date('2026-01-01T00:00:00Z'),
      startedAt: new Date('2026-01-01T00:00:00Z'),
      endedAt: null,
      updatedAt: new Date('2026-01-01T00:00:00Z'),
      ...changes,
    };
    this.experiments.set(id, experiment);
    return experiment;
  }

  async getExperiments(ids: readonly string[]): Promise<Map<string, Experiment>> {
    const found = new Map<string, Experiment>();
    for (const id of ids) {
      const experiment = this.experiments.get(id);
      if (experiment !== undefined) found.set(id, { ...experiment });
    }
    return found;
  }

  async listTaskRuns(experimentId: string, options?: { run?: number | undefined }): Promise<TaskRun[]> {
    return [...this.taskRuns.values()].filter(
      (r) => r.experimentId === experimentId && (options?.run === undefined || r.run === options.run),
    );
  }

  async recordTaskRuns(batch: TaskRunBatch): Promise<void> {
    if (this.failWrites !== undefined) throw this.failWrites;
    for (const update of batch.taskRuns ?? []) {
      const key = `${update.experimentId}:${update.run}:${update.taskId}:${update.attempt}`;
      const kept = this.taskRuns.get(key);
      if (kept !== undefined && TASK_STATE_RANK[update.state] <= TASK_STATE_RANK[kept.state]) continue;
      this.taskRuns.set(key, {
        experimentId: update.experimentId,
        run: update.run,
        taskId: update.taskId,
        attempt: update.attempt,
        workerId: update.workerId ?? kept?.workerId ?? null,
        state: update.state,
        reason: update.reason ?? null,
        outputs: update.outputs ?? null,
        startedAt: update.startedAt ?? kept?.startedAt ?? null,
        endedAt: update.endedAt ?? null,
        updatedAt: new Date(0),
      });
    }
    for (const entry of batch.auditEvents ?? []) {
      const key = entry.dedupeKey ?? `${this.audit.size}`;
      if (!this.audit.has(key)) this.audit.set(key, entry);
    }
    this.reports.push(...(batch.reports ?? []));
  }

  /** `taskId#attempt STATE` of every task run, sorted. */
  runStates(experimentId: string): string[] {
    return [...this.taskRuns.values()]
      .filter((r) => r.experimentId === experimentId)
      .map((r) => `${r.taskId}#${r.attempt} ${r.state}`)
      .sort();
  }
}
