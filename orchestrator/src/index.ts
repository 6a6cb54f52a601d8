/**
 * @wlm/orchestrator — turns master DAGs into experiments and drives them to completion.
 *
 * So far: the MySQL state store (experiments, task runs, audit trail, running registry) and leader
 * election among orchestrators.
 *
 * @example
 * ```ts
 * import { createLogger, loadConfig } from '@wlm/commons';
 * import { LeaderElection, MysqlStateStore } from '@wlm/orchestrator';
 *
 * const config = loadConfig();
 * const logger = createLogger({ component: 'orchestrator', level: config.log.level });
 * const store = await MysqlStateStore.open({ url: config.mysql.url, logger }); // migrates
 * const election = new LeaderElection({ url: config.mysql.url, logger });
 * election.on('elected', async () => {
 *   for (const { experimentId } of await store.listRunning()) resume(experimentId);
 * });
 * void election.campaign();
 * ```
 */
export {
  ACTIVE_EXPERIMENT_STATES,
  EXPERIMENT_STATES,
  EXPERIMENT_TRANSITIONS,
  TERMINAL_EXPERIMENT_STATES,
  canTransitionExperiment,
  isActiveExperimentState,
  isExperimentState,
} from './domain/experiment-state';
export type { ExperimentState } from './domain/experiment-state';
export {
  TASK_STATES,
  TASK_STATE_RANK,
  isTaskState,
  isTerminalTaskState,
  taskStateAdvances,
} from './domain/task-state';
export type { TaskState } from './domain/task-state';
export { isJsonObject } from './domain/json';
export type { JsonObject, JsonValue } from './domain/json';
export { AUDIT_EVENT_TYPES } from './domain/records';
export type {
  AuditEvent,
  AuditEventType,
  Experiment,
  LeaderRecord,
  Page,
  RunningExperiment,
  TaskRun,
} from './domain/records';
export type {
  AuditEventInput,
  ChangeAttribution,
  CreateExperimentResult,
  ListExperimentsQuery,
  NewExperiment,
  PageQuery,
  RerunRequest,
  StateStore,
  TaskRunBatch,
  TaskRunUpdate,
  TransitionResult,
} from './domain/state-store';
export type {
  ConcreteDag,
  ConcreteTask,
  DagStore,
  InstantiateRequest,
  InstantiateResult,
  MasterDag,
  MasterDagSummary,
  ReadyTask,
  TaskCompletion,
  TaskContext,
  TaskKey,
  TaskStateChange,
} from './domain/dag-store';

export { ExperimentConflictError } from './errors/experiment-conflict-error';
export { MigrationError } from './errors/migration-error';
export { StoreDataError } from './errors/store-data-error';
export { StoreInputError } from './errors/store-input-error';

export { MysqlStateStore } from './stores/mysql/mysql-state-store';
export type { MysqlStateStoreOptions } from './stores/mysql/mysql-state-store';
export { LeaderElection } from './stores/mysql/leader-election';
export type {
  DeposedEvent,
  DeposedReason,
  ElectedEvent,
  ElectionPhase,
  LeaderElectionEvents,
  LeaderElectionOptions,
} from './stores/mysql/leader-election';
export { ORCHESTRATOR_ELECTION } from './stores/mysql/lock-names';
export { Neo4jDagStore } from './stores/neo4j/neo4j-dag-store';
export type { Neo4jDagStoreOptions } from './stores/neo4j/neo4j-dag-store';

