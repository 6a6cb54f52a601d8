export { Worker } from './worker';
export type { CloseOptions } from './worker';
export { compileWorkerOptions, MAX_WORKER_SLOTS } from './worker-options';
export type { CompiledWorkerOptions, WorkerOptions, WorkerSerfOptions } from './worker-options';
export type { WorkerEvents, WorkerStartInfo, WorkerTaskFailure, WorkerTaskInfo } from './worker-events';
