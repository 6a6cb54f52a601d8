import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '@wlm/commons/config';
import { parseDagDefinition } from '@wlm/commons/dag';
import { HPC_RESOURCE, HpcSystem } from '../support/hpc-system';

/*
 * Secure by default, end to end with real processes: an orchestrator, `wlm scheduler`, and `wlm
 * worker` processes against the stack's sshd. A worker whose environment and config file hold
 * credentials hands none of them to its tasks; inputs that would reach ssh as an option or climb
 * out of a directory are refused at submit; a path that fits its shape but lies outside the
 * worker's staging roots fails its task, not retried.
 */

jest.setTimeout(240_000);

const EXAMPLES = join(__dirname, '..', '..', '..', 'orchestrator', 'examples');
const ENVIRONMENT_PLUGIN = join(__dirname, '..', 'fixtures', 'environment-plugin.js');
/** Planted in the worker's environment and config file: none may reach a task. */
const SECRETS = {
  WLM_API_TOKEN: 'api-token-secret-marker',
  WLM_NEO4J_PASSWORD: 'neo4j-secret-marker',
  AWS_SECRET_ACCESS_KEY: 'aws-secret-marker',
};
const CONFIG_SECRETS = ['mysql-secret-marker', 'config-token-secret-marker'];

let system: HpcSystem;
let envType: string;
let hpcType: string;

beforeAll(async () => {
  system = await HpcSystem.start({ workers: 1 });
  const workerConfig = join(system.scratch, 'worker-with-secrets.json');
  const stackConfig = loadConfig();
  writeFileSync(
    workerConfig,
    JSON.stringify({
      ...JSON.parse(readFileSync(join(system.scratch, 'wlm.json'), 'utf8')),
      rabbitmq: { url: stackConfig.rabbitmq.url },
      mysql: { url: `mysql://root:${CONFIG_SECRETS[0]}@127.0.0.1:3306/wlm` },
      api: { tokens: [CONFIG_SECRETS[1]] },
    }),
  );
  await system.addWorker({
    tasks: `shell,${ENVIRONMENT_PLUGIN}`,
    env: { ...SECRETS, WLM_CONFIG: workerConfig, SITE_NAME: 'bigred' },
    args: ['--task-env', 'SITE_NAME'],
  });
  envType = system.type('env');
  await system.putDag({
    type: envType,
    inputs: { declared: { shape: 'text' } },
    tasks: [
      { id: 'command', type: 'shell', params: { command: 'env', env: { DECLARED: '{{inputs.declared}}' } } },
      { id: 'process', type: 'environment' },
    ],
  });
  hpcType = system.type('hpc-job');
  const hpc = parseDagDefinition(readFileSync(join(EXAMPLES, 'hpc-job.yaml'), 'utf8'));
  await system.putDag({ ...hpc, type: hpcType });
});

afterAll(async () => {
  await system?.stop();
});

function secretsIn(text: string): string[] {
  return [...Object.values(SECRETS), ...CONFIG_SECRETS, 'WLM_API_TOKEN', 'WLM_NEO4J_PASSWORD'].filter(
    (secret) => text.includes(secret),
  );
}

describe('end to end: secure by default', () => {
  it("gives a shell task's command its declared variable and none of the worker's credentials", async () => {
    const id = await system.submit(envType, { declared: 'from-the-experiment' });
    const done = await system.ended(id);
    expect(done.state).toBe('COMPLETED');
    const command = done.tasks.find((task) => task.taskId === 'command')?.outputs as { stdout: string };
    const lines = command.stdout.split('\n');
    expect(lines).toContain('DECLARED=from-the-experiment');
    expect(lines.some((line) => line.startsWith('PATH='))).toBe(true);
    expect(secretsIn(command.stdout)).toEqual([]);
    expect(lines.filter((line) => line.startsWith('WLM_'))).toEqual([]);

    // The task process itself: the inherited variables and the operator's --task-env, no wlm
    // setting; its context holds the compute resources and the staging roots, nothing else.
    const { env, ...settings } = done.tasks.find((task) => task.taskId === 'process')?.outputs as {
      env: Record<string, string>;
      resources: { name: string }[];
      localRoots: string[];
    };
    expect(env['SITE_NAME']).toBe('bigred');
    expect(secretsIn(JSON.stringify(env))).toEqual([]);
    expect(Object.keys(env).filter((name) => name.startsWith('WLM_'))).toEqual([]);
    expect(settings.resources.map((resource) => resource.name)).toEqual([HPC_RESOURCE]);
    expect(settings.localRoots).toEqual([system.scratch]);
    expect(secretsIn(JSON.stringify(settings))).toEqual([]);
    expect(JSON.stringify(settings)).not.toContain(loadConfig().rabbitmq.url);
  });

  it('refuses at submit an hpc-job whose results directory climbs out with ..', async () => {
    const submitted = system.submit(hpcType, {
      resource: HPC_RESOURCE,
      inputFile: join(system.scratch, 'input.txt'),
      resultsDir: `${system.scratch}/../../home`,
    });
    await expect(submitted).rejects.toThrow(/400 .*EXPERIMENT_INPUT_INVALID.*inputs\.resultsDir/);
  });

  it("fails, not retried, an hpc-job whose input file is outside the worker's staging roots", async () => {
    const id = await system.submit(hpcType, {
      resource: HPC_RESOURCE,
      inputFile: '/etc/hostname',
      resultsDir: join(system.scratch, 'results'),
    });
    const done = await system.ended(id);
    expect(done.state).toBe('FAILED');
    const stageIn = done.tasks.find((task) => task.taskId === 'stage-in');
    expect(stageIn?.state).toBe('FAILED');
    expect(stageIn?.runs).toHaveLength(1);
    expect(stageIn?.runs[0]?.reason).toMatch(
      /^PATH_OUTSIDE_ROOTS: files\[0\]\.source: \/etc\/hostname \(on the worker \(.*\)\) is outside the directories tasks may use \(staging\.localRoots: /,
    );
  });
});
