import type { ComputeResource } from '@wlm/commons/remote';
import type { BatchSystem } from './batch-system';
import { LocalBatchSystem } from './local-batch-system';
import { SlurmBatchSystem } from './slurm-batch-system';

const ADAPTERS: Readonly<Record<ComputeResource['batchSystem'], BatchSystem>> = {
  slurm: new SlurmBatchSystem(),
  local: new LocalBatchSystem(),
};

/** The adapter of the resource's `batchSystem`. */
export function batchSystemFor(resource: Pick<ComputeResource, 'batchSystem'>): BatchSystem {
  return ADAPTERS[resource.batchSystem];
}
