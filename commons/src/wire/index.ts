/**
 * Versioned wire messages (docs/architecture.md, Messages). Every message has `v: 1`; types are inferred
 * from the zod schemas, and every consumer validates on receipt.
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
