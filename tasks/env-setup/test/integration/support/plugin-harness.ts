import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { sharedSshPool, shellQuote } from '@wlm/commons/remote';
import { createLogger } from '@wlm/commons/logging';
import type { TaskContext, TaskPlugin } from '@wlm/commons/plugin';
import type { ComputeResource, ComputeResourceInput, SshConnection } from '@wlm/commons/remote';
import { useResourceConfig } from '../../../../../commons/test/integration/support/resource-config';
import type { ResourceConfig } from '../../../../../commons/test/integration/support/resource-config';
import { stackSshResource } from '../../../../../commons/test/integration/support/stack-sshd';

/** One `ctx.progress` call. */
export interface ProgressEvent {
  readonly message: string;
  readonly percent: number | undefined;
}

/** A context for `plugin.run`, and the progress it collects. */
export interface RunContext<P> {
  readonly ctx: TaskContext<P>;
  readonly progress: ProgressEvent[];
}

/**
 * Runs task plugins in-process against the local stack's sshd, as a worker's task process would:
 * each context holds one compute resource named `name` (and the `others`), and each experiment id
 * made by {@link newExperiment} gets its run directories removed from the resource at the end.
 */
export class PluginHarness {
  readonly resource: ComputeResource;
  private readonly config: ResourceConfig;
  private readonly experiments = new Set<string>();

  /**
   * `others`: more resources, the same sshd under other names (e.g. a storage resource), which may
   * also use the temporary directory where tests keep their files; `allowedRoots` of the resource
   * `name` itself; `localRoots`, the worker's staging roots (by default that temporary directory).
   */
  constructor(
    readonly name: string,
    others: readonly string[] = [],
    allowedRoots: readonly string[] = [],
    localRoots: readonly string[] = [tmpdir()],
  ) {
    this.resource = stackSshResource(name, { allowedRoots: [...allowedRoots] });
    const settings = Object.fromEntries(Object.entries(this.resource).filter(([key]) => key !== 'name'));
    const storage = { ...settings, allowedRoots: [tmpdir()] };
    this.config = useResourceConfig(
      Object.fromEntries([
        [name, settings as ComputeResourceInput],
        ...others.map((other) => [other, storage as ComputeResourceInput]),
      ]),
      [...localRoots],
    );
  }

  /** A fresh experiment id (`t-<prefix>-<random>`), cleaned up by {@link close}. */
  newExperiment(prefix: string): string {
    const id = `t-${prefix}-${randomBytes(4).toString('hex')}`;
    this.experiments.add(id);
    return id;
  }

  /** `<workRoot>/<experimentId>/<run>` on the resource. */
  runDir(experimentId: string, run = 1): string {
    return `${this.resource.workRoot}/${experimentId}/${run}`;
  }

  /** The params parsed by the plugin's schema (as the worker does) in a context of run 1. */
  context<P>(plugin: TaskPlugin<P>, params: unknown, experimentId: string, run = 1): RunContext<P> {
    const progress: ProgressEvent[] = [];
    const ctx: TaskContext<P> = {
      experimentId,
      taskId: 'task',
      attempt: 1,
      run,
      params: plugin.inputSchema.parse(params),
      resources: this.config.resources,
      localRoots: this.config.localRoots,
      logger: createLogger({ component: 'test', level: 'silent', pretty: false }),
      progress: (message, percent) => progress.push({ message, percent }),
    };
    return { ctx, progress };
  }

  /** A connection to the resource, to look at what a plugin did there. */
  ssh(): Promise<SshConnection> {
    return sharedSshPool().connect(this.resource);
  }

  /** Runs a command on the resource; resolves with its stdout. */
  async remote(command: string, stdin?: Buffer | string): Promise<string> {
    return (await this.ssh()).run(command, stdin === undefined ? {} : { stdin });
  }

  async close(): Promise<void> {
    try {
      const dirs = [...this.experiments].map((id) => shellQuote(`${this.resource.workRoot}/${id}`));
      if (dirs.length > 0) await this.remote(`rm -rf -- ${dirs.join(' ')}`);
    } finally {
      await this.config.restore();
    }
  }
}

/** What `promise` rejected with; fails the test when it resolved. */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    (value) => {
      throw new Error(`expected a rejection, got ${JSON.stringify(value)}`);
    },
    (reason: unknown) => reason,
  );
}
