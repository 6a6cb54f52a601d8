import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parseDagDefinition } from '@wlm/commons/dag';
import type { ExperimentView } from '@wlm/orchestrator';
import { HPC_RESOURCE, HpcSystem } from '../support/hpc-system';

/*
 * Every DAG in orchestrator/examples, stored through the API (so the orchestrator checks it against
 * the plugins) and run to COMPLETED by real `wlm worker`s against the stack's sshd and SLURM: a
 * worker labelled site=cloud for the SSH task types and one for echo. The resources: `cluster` (SLURM),
 * `vm` (the same sshd as a machine without a batch system) and `archive` (a storage resource).
 */

jest.setTimeout(300_000);

const EXAMPLES = join(__dirname, '..', '..', '..', 'orchestrator', 'examples');
const VM = 'vm';
const ARCHIVE = 'archive';
let system: HpcSystem;

/** The inputs each example runs with; a new example needs an entry here to be run. */
const INPUTS: Readonly<Record<string, () => Record<string, unknown>>> = {
  'parameter-sweep': () => ({ study: 'e2e' }),
  'hpc-job': () => {
    const inputFile = join(system.scratch, 'hpc-input.txt');
    writeFileSync(inputFile, 'hpc example\n');
    return { resource: HPC_RESOURCE, inputFile, resultsDir: join(system.scratch, 'hpc-results') };
  },
  'cloud-job': () => ({
    resource: VM,
    command: 'echo cloud example on $(hostname)',
    resultsDir: join(system.scratch, 'cloud-results'),
  }),
  'data-transfer': () => {
    // The source files sit on the cluster, in its work root (the stack's sshd is this host).
    const sourceDir = join(system.remoteScratch, 'transfer-source');
    mkdirSync(sourceDir);
    writeFileSync(join(sourceDir, 'a.csv'), 'x,y\n1,2\n');
    writeFileSync(join(sourceDir, 'b.csv'), 'x,y\n3,4\n');
    writeFileSync(join(sourceDir, 'skip.txt'), 'not matched\n');
    return {
      source: HPC_RESOURCE,
      target: ARCHIVE,
      files: `${sourceDir}/*.csv`,
      targetDir: join(system.remoteScratch, 'archive', 'exp'),
      checkDir: join(system.scratch, 'transfer-check'),
    };
  },
};

const examples = readdirSync(EXAMPLES)
  .filter((file) => file.endsWith('.yaml'))
  .map((file) => basename(file, '.yaml'))
  .sort();
const runs = new Map<string, Promise<ExperimentView>>();

beforeAll(async () => {
  system = await HpcSystem.start({
    workers: 0,
    resources: { [VM]: { batchSystem: 'local' }, [ARCHIVE]: {} },
  });
  await system.addWorker({ labels: 'site=cloud' });
  await system.addWorker({ tasks: 'echo' });
  // All at once: the SLURM job and the SSH round trips overlap rather than add up.
  for (const example of examples) {
    const inputs = INPUTS[example];
    if (inputs === undefined) continue;
    const type = system.type(example);
    const definition = parseDagDefinition(readFileSync(join(EXAMPLES, `${example}.yaml`), 'utf8'));
    await system.putDag({ ...definition, type });
    const id = await system.submit(type, inputs());
    const ended = system.ended(id, 240_000);
    ended.catch(() => undefined);
    runs.set(example, ended);
  }
});

afterAll(async () => {
  await system?.stop();
});

beforeEach(() => {
  expect.hasAssertions();
});

function outputsOf(view: ExperimentView, taskId: string): Record<string, unknown> {
  return (view.tasks.find((task) => task.taskId === taskId)?.outputs ?? {}) as Record<string, unknown>;
}

it('knows inputs for every example', () => {
  expect(examples.filter((example) => INPUTS[example] === undefined)).toEqual([]);
});

it.each(examples)('%s runs to COMPLETED, every task of it', async (example) => {
  const run = runs.get(example);
  if (run === undefined) throw new Error(`${example} was not submitted`);
  const view = await run;
  expect(view.tasks.filter((task) => task.state !== 'COMPLETED').map((task) => task.taskId)).toEqual([]);
  expect(view.state).toBe('COMPLETED');
});

it('cloud-job brings back what the command printed on the VM', async () => {
  const view = await runs.get('cloud-job');
  if (view === undefined) throw new Error('cloud-job was not submitted');
  expect(outputsOf(view, 'run')).toMatchObject({ batchSystem: 'local', state: 'COMPLETED', exitCode: 0 });
  const [file] = outputsOf(view, 'fetch')['files'] as { content?: string }[];
  expect(file?.content).toMatch(/^cloud example on \S+\n$/);
});

it('data-transfer moves exactly the matched files, and the copies read back carry the same checksums', async () => {
  const view = await runs.get('data-transfer');
  if (view === undefined) throw new Error('data-transfer was not submitted');
  const sums = (taskId: string): Record<string, string> =>
    Object.fromEntries(
      (outputsOf(view, taskId)['files'] as { source: string; sha256: string }[]).map((file) => [
        basename(file.source),
        file.sha256,
      ]),
    );
  expect(Object.keys(sums('transfer')).sort()).toEqual(['a.csv', 'b.csv']);
  expect(sums('check')).toEqual(sums('transfer'));
  const checked = outputsOf(view, 'check')['files'] as { content?: string }[];
  expect(checked.map((file) => file.content).sort()).toEqual(['x,y\n1,2\n', 'x,y\n3,4\n']);
});
