/**
 * Answers of the orchestrator's REST API that more than one package reads (the orchestrator writes
 * them, the `wlm` CLI and the console read them), as zod schemas with their inferred types.
 *
 * @example
 * ```ts
 * const workers = workersResponseSchema.parse(await response.json());
 * ```
 */
export {
  workerStateSchema,
  workerEntrySchema,
  workerIncidentEntrySchema,
  workersResponseSchema,
  RECENT_INCIDENTS,
} from './worker-directory';
export type { WorkerState, WorkerEntry, WorkerIncidentEntry, WorkersResponse } from './worker-directory';
export { taskProgressReportSchema, taskLogsResponseSchema } from './task-report';
export type { TaskProgressReport, TaskLogsResponse } from './task-report';
