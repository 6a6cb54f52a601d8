import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { loadConfig } from '@wlm/commons/config';
import type { ExperimentView } from '@wlm/orchestrator';
import { stackComputeResource } from '../../src';
import type { WorkerSpec } from './e2e-cluster';
import { RunningSystem } from './wlm-system';
import type { SystemParts } from './wlm-system';

const REPO = join(__dirname, '..', '..', '..');
/** The compute resource the workers know the stack's sshd + SLURM by. */
export const HPC_RESOURCE = 'cluster';

/**
 * A whole wlm for HPC tests (see {@link RunningSystem}) whose `wlm worker` processes serve
 * env-setup, data-staging and job-submission with the stack's sshd and SLURM configured as compute
 * resource {@link HPC_RESOURCE}. `stop` also removes the test's directories.
 */
export class HpcSystem extends RunningSystem {
  readonly workerIds: string[] = [];

  private constructor(
    parts: SystemParts,
    /** The test's own directory on the worker's disk, inside `staging.localRoots`. */
    readonly scratch: string,
    /** The test's own directory on the compute resources, inside their work root. */
    readonly remoteScratch: string,
    private readonly configFile: string,
  ) {
    super(parts);
  }

  /**
   * `resources`: more resources the workers know, each the stack's sshd with some settings of its
   * own (e.g. `{ vm: { batchSystem: 'local' } }`).
   */
  static async start(options: {
    workers: number;
    resources?: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
  }): Promise<HpcSystem> {
    const scratch = mkdtempSync(join(tmpdir(), 'wlm-e2e-hpc-'));
    const configFile = join(scratch, 'wlm.json');
    const resource = stackComputeResource(loadConfig(), REPO);
    // The stack's sshd is this host: the resources' remote paths are on this disk, in their work root.
    const remoteScratch = join(resource.workRoot, basename(scratch));
    mkdirSync(remoteScratch, { recursive: true });
    const more = Object.entries(options.resources ?? {}).map(([name, own]) => [
      name,
      { ...resource, ...own },
    ]);
    writeFileSync(
      configFile,
      JSON.stringify({
        resources: { [HPC_RESOURCE]: resource, ...Object.fromEntries(more) },
        staging: { localRoots: [scratch] },
      }),
    );
    const parts = await RunningSystem.startParts('hpc');
    const system = new HpcSystem(parts, scratch, remoteScratch, configFile);
    await Promise.all(Array.from({ length: options.workers }, () => system.addWorker()));
    await system.led();
    return system;
  }

  /**
   * Starts one more worker, by default serving the HPC task types; resolves with its id once
   * schedulers know it. `spec` may name other tasks, labels (`k=v,…`), add to its environment or
   * give more options.
   */
  async addWorker(spec: Partial<Omit<WorkerSpec, 'name'>> = {}): Promise<string> {
    const workerId = await this.cluster.startWorker({
      name: `hpc${this.cluster.workers.size + 1}`,
      tasks: spec.tasks ?? 'env-setup,data-staging,job-submission',
      slots: spec.slots ?? 2,
      ...(spec.labels === undefined ? {} : { labels: spec.labels }),
      env: { WLM_CONFIG: this.configFile, ...spec.env },
      ...(spec.args === undefined ? {} : { args: spec.args }),
    });
    this.workerIds.push(workerId);
    return workerId;
  }

  /** HPC experiments wait on SSH and SLURM: three minutes by default. */
  override ended(id: string, timeoutMs = 180_000): Promise<ExperimentView> {
    return super.ended(id, timeoutMs);
  }

  override async stop(): Promise<void> {
    await super.stop();
    rmSync(this.scratch, { recursive: true, force: true });
    rmSync(this.remoteScratch, { recursive: true, force: true });
  }
}
