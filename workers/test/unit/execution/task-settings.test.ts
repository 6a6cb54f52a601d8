import { inheritedEnvironment } from '@wlm/commons/plugin';
import { computeResourcesSchema } from '@wlm/commons/plugin-host';
import { join } from 'node:path';
import { IsolatedTaskRunner } from '@wlm/workers';
import type { PluginRef, TaskOutcome, TaskSettings } from '@wlm/workers';
import { ensureBuilt } from '../../support/ensure-built';
import { captureLogger } from '../../support/test-logger';

jest.setTimeout(30_000);

const RESOURCES_PLUGIN: PluginRef = {
  taskType: 'fixture-resources',
  modulePath: join(__dirname, '..', '..', 'fixtures', 'resources-plugin.js'),
};

const SETTINGS: TaskSettings = {
  resources: computeResourcesSchema.parse({
    hpc: {
      host: 'login.hpc.example.org',
      user: 'wlm',
      privateKeyFile: '/etc/wlm/id_ed25519',
      knownHostsFile: '/etc/wlm/known_hosts',
      workRoot: '/scratch/wlm',
    },
  }),
  localRoots: ['/data/wlm'],
};

describe('the settings a worker hands its tasks', () => {
  const captured = captureLogger('warn');
  const runners: IsolatedTaskRunner[] = [];

  function runner(taskSettings?: TaskSettings): IsolatedTaskRunner {
    const made = new IsolatedTaskRunner({
      logger: captured.logger,
      // A worker's task processes could be handed a config file: these are not.
      taskEnvironment: inheritedEnvironment(),
      ...(taskSettings === undefined ? {} : { taskSettings }),
    });
    runners.push(made);
    return made;
  }

  function run(on: IsolatedTaskRunner, resource: string): Promise<TaskOutcome> {
    return on.run({
      plugin: RESOURCES_PLUGIN,
      experimentId: 'exp-settings',
      taskId: 'a',
      attempt: 1,
      run: 1,
      params: { resource },
    });
  }

  beforeAll(() => ensureBuilt());

  afterAll(async () => {
    await Promise.all(runners.map((made) => made.close()));
  });

  it("reach the plugin's context in its task process: the compute resources and the local roots", async () => {
    const outcome = await run(runner(SETTINGS), 'hpc');
    expect(outcome).toMatchObject({
      status: 'completed',
      outputs: {
        names: ['hpc'],
        localRoots: ['/data/wlm'],
        resource: { name: 'hpc', host: 'login.hpc.example.org', port: 22, batchSystem: 'slurm' },
        configFile: null,
      },
    });
  });

  it('fail a task naming an unconfigured resource, not retried, with a reason naming it', async () => {
    const outcome = await run(runner(SETTINGS), 'gpu');
    expect(outcome).toMatchObject({ status: 'failed', code: 'RESOURCE_UNKNOWN', retryable: false });
    expect(outcome.status === 'failed' && outcome.reason).toMatch(
      /^unknown compute resource "gpu" \(configured: hpc\); add it under "resources\.gpu"/,
    );
  });

  it('are empty by default: no compute resource, no local root', async () => {
    const outcome = await run(runner(), 'hpc');
    expect(outcome).toMatchObject({ status: 'failed', code: 'RESOURCE_UNKNOWN', retryable: false });
    expect(outcome.status === 'failed' && outcome.reason).toContain('no compute resource is configured');
  });
});
