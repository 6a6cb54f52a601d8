/**
 * @wlm/orchestrator — turns master DAGs into experiments and drives them to completion.
 *
 * `Orchestrator` is the service: REST API (`createApp`), engine (`Engine`: submit, cancel, rerun,
 * resume; the leader's event batches and recovery), the Neo4j DAG store, the MySQL state store and
 * leader election among orchestrators. `runOrchestrator` adds signal handling (`wlm orchestrator`,
 * `node orchestrator/dist/main.js`). docs/recovery.md explains why a crash anywhere loses nothing.
 *
 * @example
 * ```ts
 * import { loadConfig } from '@wlm/commons/config';
 * import { createLogger } from '@wlm/commons/logging';
 * import { Orchestrator } from '@wlm/orchestrator';
 *
 * const config = loadConfig();
 * const logger = createLogger({ component: 'orchestrator', level: config.log.level });
 * const orchestrator = await Orchestrator.start({ config, logger }); // migrates, listens, campaigns
 * const { experiment } = await orchestrator.engine.submit({
 *   type: 'diamond', inputs: { msg: 'hi' }, priority: 5, actor: 'embedded',
 * });
 * await orchestrator.close(); // drains; a standby takes over
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
  CreateOutcome,
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
  InstantiateOutcome,
  InstantiateRequest,
  InstantiateResult,
  InstantiatedRun,
  MasterDag,
  MasterDagSummary,
  ReadyTask,
  RunCompletions,
  TaskCompletion,
  NodeSpec,
  TaskKey,
  TaskStateChange,
} from './domain/dag-store';

export { ExperimentConflictError } from './errors/experiment-conflict-error';
export { MigrationError } from './errors/migration-error';
export { StoreDataError } from './errors/store-data-error';
export { StoreTimeoutError } from './errors/store-timeout-error';
export type { TimedOutStore } from './errors/store-timeout-error';
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

export { Orchestrator } from './orchestrator';
export type { OrchestratorEvents, OrchestratorOptions } from './orchestrator';
export { runOrchestrator } from './run-orchestrator';
export type { RunOrchestratorOptions } from './run-orchestrator';
export { Engine } from './engine/engine';
export type { SubmitRequest, SubmitResult } from './engine/submit-request';
export type { SubmitOutcome } from './engine/submissions';
export { CRASH_POINT_VARIABLE } from './engine/crash-point';
export type { CrashPoint } from './engine/crash-point';
export { createApp } from './api/app';
export type { AppDeps } from './api/app';
export type { ExperimentView, TaskRunView, TaskView } from './api/experiment-view';
export { DagNotFoundError } from './errors/dag-not-found-error';
export { ExperimentInputError } from './errors/experiment-input-error';
export { ExperimentInputLimitError } from './errors/experiment-input-limit-error';
export { ExperimentInputShapeError } from './errors/experiment-input-shape-error';
export { ExperimentNotFoundError } from './errors/experiment-not-found-error';
export { ExperimentStateError } from './errors/experiment-state-error';
export { createOrchestratorMetrics } from './metrics/orchestrator-metrics';
export type { OrchestratorMetricsSource } from './metrics/orchestrator-metrics';
export type { EngineEvents } from './engine/engine-events';
