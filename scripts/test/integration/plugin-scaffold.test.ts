import { execFile } from 'node:child_process';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { TaskRequestInput } from '@wlm/commons/wire';
import { eventually, taskRequest } from '@wlm/test-support';
import { ensureBuilt } from '../../../workers/test/support/ensure-built';
import { E2eCluster } from '../support/e2e-cluster';

/*
 * `wlm plugin new` end to end: scaffold a plugin package in a checkout (a scratch one that shares
 * this repository's commons and node_modules, so the real tree is left alone), build it with tsc,
 * and run its task on a real `wlm worker` placed by a real `wlm scheduler`.
 */

jest.setTimeout(180_000);

const REPO = join(__dirname, '..', '..', '..');
const CLI = join(REPO, 'scripts', 'dist', 'cli.js');
const TSC = join(REPO, 'node_modules', 'typescript', 'bin', 'tsc');
const run = promisify(execFile);
const NAME = 'word-count';

let checkout: string;
let cluster: E2eCluster | undefined;

function request(
  experimentId: string,
  taskId: string,
  context: TaskRequestInput['context'],
): TaskRequestInput {
  return taskRequest(experimentId, taskId, { taskType: NAME, context });
}

beforeAll(() => {
  ensureBuilt(['scripts']);
  checkout = mkdtempSync(join(tmpdir(), 'wlm-plugin-new-'));
  for (const file of ['package.json', 'tsconfig.base.json', '.prettierrc.json'])
    copyFileSync(join(REPO, file), join(checkout, file));
  writeFileSync(
    join(checkout, 'tsconfig.json'),
    JSON.stringify({ files: [], references: [{ path: 'commons' }] }),
  );
  symlinkSync(join(REPO, 'commons'), join(checkout, 'commons'));
  symlinkSync(join(REPO, 'node_modules'), join(checkout, 'node_modules'));
  mkdirSync(join(checkout, 'notes'));
});

afterAll(async () => {
  await cluster?.cleanUp([NAME]);
  rmSync(checkout, { recursive: true, force: true });
});

beforeEach(() => {
  expect.hasAssertions();
});

describe('wlm plugin new', () => {
  it('scaffolds tasks/<name>, registers it for tsc --build, and says what to do next', async () => {
    const { stdout } = await run(process.execPath, [CLI, 'plugin', 'new', NAME], {
      // A directory inside the checkout (commons is a symlink out of it): the root is found above it.
      cwd: join(checkout, 'notes'),
    });
    expect(stdout).toContain(`wrote tasks/${NAME}/src/${NAME}-plugin.ts`);
    expect(stdout).toContain(`npx wlm worker --name w1 --tasks ${NAME} --slots 2`);
    expect(JSON.parse(readFileSync(join(checkout, 'tsconfig.json'), 'utf8'))).toMatchObject({
      references: [{ path: 'commons' }, { path: `tasks/${NAME}` }],
    });
    const manifest = JSON.parse(
      readFileSync(join(checkout, 'tasks', NAME, 'package.json'), 'utf8'),
    ) as unknown;
    expect(manifest).toMatchObject({ name: `@wlm/task-${NAME}`, dependencies: { '@wlm/commons': '0.1.0' } });
    // The plugin imports the SDK entry only, so its task processes load neither broker nor Serf client.
    const source = readFileSync(join(checkout, 'tasks', NAME, 'src', `${NAME}-plugin.ts`), 'utf8');
    expect(source.match(/from '@wlm\/commons[^']*'/g)).toEqual([`from '@wlm/commons/plugin'`]);
  });

  it('refuses a name that is no task type, and one that exists, saying why', async () => {
    const bad = await run(process.execPath, [CLI, 'plugin', 'new', 'Word_Count'], { cwd: checkout }).catch(
      (error: { stderr: string; code: number }) => error,
    );
    expect(bad).toMatchObject({ code: 1, stderr: expect.stringMatching(/"Word_Count" is not a task type/) });
    const again = await run(process.execPath, [CLI, 'plugin', 'new', NAME], { cwd: checkout }).catch(
      (error: { stderr: string; code: number }) => error,
    );
    expect(again).toMatchObject({ code: 1, stderr: `wlm: tasks/${NAME} exists already\n` });
  });

  it('builds with tsc --build, and its task runs on a real worker: outputs, progress, and its failure code', async () => {
    await run(process.execPath, [TSC, '--build', join('tasks', NAME)], { cwd: checkout });
    cluster = await E2eCluster.start();
    await cluster.startScheduler();
    await cluster.startWorker({
      name: 'scaffolded',
      tasks: join(checkout, 'tasks', NAME, 'dist', 'index.js'),
      slots: 1,
    });
    const experimentId = `${cluster.namespace}.scaffold`;
    await cluster.broker.request(
      request(experimentId, 'ok', { text: 'hi', times: 3 }),
      request(experimentId, 'empty', { text: '' }),
    );
    const [completed] = await cluster.broker.completed(experimentId, 1, 60_000);
    expect(completed).toMatchObject({ taskId: 'ok', outputs: { text: 'hi hi hi', length: 8 } });
    const progress = cluster.broker.eventsOf('PROGRESS', experimentId).map((event) => event.percent);
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.every((percent) => percent !== undefined && percent > 0 && percent <= 100)).toBe(true);
    const failed = await eventually(
      'the empty text to fail',
      () => cluster?.broker.eventsOf('FAILED', experimentId) ?? [],
      (events) => events.length > 0,
      60_000,
    );
    expect(failed).toEqual([
      expect.objectContaining({ taskId: 'empty', errorCode: 'WORD_COUNT_EMPTY_TEXT', retryable: false }),
    ]);
  });
});
