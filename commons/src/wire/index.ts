/**
 * Versioned wire messages (docs/architecture.md, Messages). Every message has `v: 1`; types are inferred
 * from the zod schemas, and every consumer validates on receipt.
 *
 * Terms, as the code names them:
 *
 * - **experiment** (`experimentId`): one execution of a DAG with its `inputs`; its kind is its
 *   experiment type (`experimentType`). States: PENDING, RUNNING, COMPLETED, FAILED, CANCELLED.
 * - **run** (`run`): 1 for an experiment's first run, one more per rerun; each run has its own
 *   concrete DAG.
 * - **DAG definition** (`DagDefinition`): the tasks (`DagTask`) of an experiment type and what each
 *   depends on.
 * - **master DAG** (`MasterDag`): one stored, immutable version (`version`) of a type's DAG definition;
 *   an experiment pins one.
 * - **concrete DAG** (`ConcreteDag`): a master DAG instantiated for one run of one experiment; its nodes
 *   carry the execution state (`state`, `attempt`, `isExecuted`, `outputs`).
 * - **node** (`TaskKey`: experimentId, run, taskId): one task of a concrete DAG; its `NodeSpec` holds the
 *   params, inputs, retry policy, timeouts and constraints a request is built from.
 * - **task** (`taskId`): a step of a DAG, unique within it. Task states: PENDING, QUEUED, RUNNING,
 *   COMPLETED, FAILED, CANCELLED.
 * - **task type** (`taskType`): which plugin (`TaskPlugin`) runs a task, e.g. `echo`, `job-submission`.
 * - **attempt** (`attempt`): one try of a task within its run, from 1; `AttemptIdentity` —
 *   `(experimentId, run, taskId, attempt)` — is what every consumer deduplicates on (`attemptKey`).
 * - **round** (`continuation.round`): a task that runs in rounds ends each with a checkpoint
 *   (`Continuation`) and the next round starts from it, as a new request of the same attempt.
 * - **task request** (`TaskRequest`): orchestrator → scheduler, an attempt ready to run; its `context` is
 *   the task's rendered params.
 * - **assignment** (`TaskAssignment`): scheduler → one worker's queue, the request given to `workerId`,
 *   with an `assignmentId` unique per placement.
 * - **task event** (`TaskEvent`, by `state`): QUEUED (the scheduler placed it), RUNNING, PROGRESS,
 *   COMPLETED, FAILED, DEFERRED (a round ended with a checkpoint), WAITING (no worker can take it yet),
 *   CANCELLED; `TERMINAL_TASK_EVENT_STATES` end an attempt. A run shorter than its worker's RUNNING
 *   delay sends no RUNNING; the event that ends it carries `startedAt` instead.
 * - **cancel** (`CancelTask`, a `ControlMessage`): stop one task, or every task of a run.
 * - **worker** (`workerId`): a process that runs tasks of the types its plugins serve; it has its own
 *   queue and tells the cluster about itself in a `WorkerAdvertisement` over Serf.
 * - **slot** (`slots`, `freeSlots`): how many tasks a worker runs at once, and how many more it can take now.
 * - **incarnation**: one process of a worker; its Serf node name is `<workerId>~<incarnation>`, so a
 *   restarted worker is told from its dead predecessor.
 * - **namespace** (`WlmTopology.namespace`, default `wlm`): prefixes every queue and exchange name, so
 *   installations and tests can share a broker.
 * - **worker incident** (`WorkerIncident`): a worker failed or came back, and the tasks it affected.
 * - **scheduler timer** (`SchedulerTimer`): a deadline the scheduler sends itself through delay queues.
 *
 * @example
 * ```ts
 * const body = encodeMessage(taskRequestSchema, request);      // Buffer of JSON
 * const received = parseMessage(taskRequestSchema, body);      // typed, or MessageValidationError
 * ```
 */
export { parseMessage, encodeMessage } from './codec';
export { describeIssue, describeIssues, formatIssuePath } from './issue-path';
export type { PathIssue } from './issue-path';
export {
  jsonValueSchema,
  experimentIdSchema,
  taskIdSchema,
  taskTypeSchema,
  workerIdSchema,
  attemptSchema,
  runSchema,
  prioritySchema,
  timestampSchema,
  semverSchema,
  MAX_JSON_DEPTH,
  MAX_ATTEMPT,
  WIRE_TEXT_LIMITS,
} from './fields';
export { isJsonObjectShape, jsonProblems } from './json';
export type { JsonCheckOptions, JsonObject, JsonProblem, JsonValue } from './json';
export {
  attemptIdentityShape,
  attemptIdentitySchema,
  attemptIdentityOf,
  attemptKey,
  sameAttempt,
} from './attempt-identity';
export type { AttemptIdentity } from './attempt-identity';
export { wireRegistry } from './registry';
export {
  MAX_ERROR_CODE_LENGTH,
  PROTOCOL_FAILURE_CODES,
  defineFailureCodes,
  failureCodeInfo,
  registeredFailureCodes,
} from './failure-codes';
export type { FailureCodeInfo, FailureCodeOwner, FailureCodeSpec } from './failure-codes';
export type { WireMessageMeta } from './registry';
export {
  taskRequestSchema,
  taskConstraintsSchema,
  retryPolicySchema,
  continuationSchema,
  DEFAULT_RETRY_POLICY,
  MAX_CONTEXT_BYTES,
  MAX_LABEL_KEY_LENGTH,
  MAX_LABEL_VALUE_LENGTH,
  MAX_EXCLUDED_WORKERS,
  MAX_RETRY_ATTEMPTS,
  MAX_RETRY_BACKOFF_MS,
  MAX_TASK_TIMEOUT_MS,
  jsonByteLength,
  queueDeadline,
} from './task-request';
export type {
  TaskRequest,
  TaskRequestInput,
  TaskConstraints,
  RetryPolicy,
  Continuation,
} from './task-request';
export { taskAssignmentSchema } from './task-assignment';
export type { TaskAssignment, TaskAssignmentInput } from './task-assignment';
export {
  taskEventSchema,
  taskQueuedEventSchema,
  taskRunningEventSchema,
  taskProgressEventSchema,
  taskDeferredEventSchema,
  taskWaitingEventSchema,
  taskCompletedEventSchema,
  taskFailedEventSchema,
  taskCancelledEventSchema,
  taskEventRoutingKey,
  runStartOf,
  TERMINAL_TASK_EVENT_STATES,
} from './task-event';
export type { TaskEvent, TaskEventInput, TaskEventState, TaskEventOf } from './task-event';
export { TASK_LOG_TAIL, taskLogTailSchema } from './task-log-tail';
export { cancelTaskSchema, controlMessageSchema, controlRoutingKey } from './control-message';
export type { CancelTask, CancelTaskInput, ControlMessage, ControlMessageInput } from './control-message';
export { workerIncidentSchema, incidentTaskSchema, MAX_INCIDENT_TASKS } from './worker-incident';
export type { WorkerIncident, WorkerIncidentInput, IncidentTask } from './worker-incident';
export { schedulerTimerSchema, taskTypeWaitingSchema } from './scheduler-timer';
export type { SchedulerTimer, SchedulerTimerInput, TaskTypeWaiting } from './scheduler-timer';
