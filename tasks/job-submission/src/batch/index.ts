export { LocalBatchSystem } from './local-batch-system';
export { SlurmBatchSystem, parseScontrolFields, slurmStatus } from './slurm-batch-system';
export { batchSystemFor } from './batch-systems';
export { BatchUnavailableError } from './batch-unavailable-error';
export type { BatchJobSpec, BatchSystem, JobPhase, JobStatus, SubmittedJob } from './batch-system';
