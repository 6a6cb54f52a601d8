import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '@wlm/commons';
import type { ExperimentView } from '@wlm/orchestrator';
import { stackComputeResource } from '../../src';
import type { E2eCluster } from './e2e-cluster';
import { WlmSystem } from './wlm-system';

const REPO = join(__dirname, '..', '..', '..');
/** The compute resource the workers know the stack's sshd + SLURM by. */
export const HPC_RESOURCE = 'cluster';

/**
 * A whole wlm for HPC tests ({@link WlmSystem}) whose `wlm worker`s serve env-setup, data-staging
 * and job-submission with the stack's sshd and SLURM configured as compute resource
 * {@link HPC_RESOURCE}. `stop` removes all of it.
 */
export class HpcSystem {
  readonly workerIds: string[] = [];

  private constructor(
    private readonly system: WlmSystem,
    readonly scratch: string,
    private readonly configFile: string,
  ) {}

  static async start(options: { workers: number }): Promise<HpcSystem> {
    const scratch = mkdtempSync(join(tmpdir(), 'wlm-e2e-hpc-'));
    const configFile = join(scratch, 'wlm.json');
    const resource = stackComputeResource(loadConfig(), REPO);
    writeFileSync(configFile, JSON.stringify({ resources: { [HPC_RESOURCE]: resource } }));
    const hpc = new HpcSystem(await WlmSystem.start({ label: 'hpc', workers: [] }), scratch, configFile);
    await Promise.all(Array.from({ length: options.workers }, () => hpc.addWorker()));
    return hpc;
  }

  get cluster(): E2eCluster {
    return this.system.cluster;
  }

  /** Starts one more worker serving the HPC task types; resolves with its id once schedulers know it. */
  async addWorker(): Promise<string> {
    const workerId = await this.cluster.startWorker({
      name: `hpc${this.cluster.workers.size + 1}`,
      tasks: 'env-setup,data-staging,job-submission',
      slots: 2,
      env: { WLM_CONFIG: this.configFile },
    });
    this.workerIds.push(workerId);
    return workerId;
  }

  type(name: string): string {
    return this.system.type(name);
  }

  api(path: string, body?: unknown, method?: string): Promise<Record<string, unknown>> {
    return this.system.api(path, body, method);
  }

  putDag(definition: { type: string } & Record<string, unknown>): Promise<void> {
    return this.system.putDag(definition);
  }

  submit(type: string, inputs: Record<string, unknown>): Promise<string> {
    return this.system.submit(type, inputs);
  }

  experiment(id: string): Promise<ExperimentView> {
    return this.system.experiment(id);
  }

  /** The experiment once it ended: a batch job may take minutes. */
  ended(id: string, timeoutMs = 180_000): Promise<ExperimentView> {
    return this.system.ended(id, timeoutMs);
  }

  async stop(): Promise<void> {
    await this.system.stop();
    rmSync(this.scratch, { recursive: true, force: true });
  }
}
