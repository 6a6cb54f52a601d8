export { Worker } from './worker';
export type { CloseOptions } from './worker';
export { compileWorkerOptions, DEFAULT_RUNNING_REPORT_DELAY_MS, MAX_WORKER_SLOTS } from './worker-options';
export type { CompiledWorkerOptions, WorkerOptions, WorkerSerfOptions } from './worker-options';
export type { WorkerEvents, WorkerStartInfo, WorkerTaskFailure, WorkerTaskInfo } from './worker-events';
