import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inheritedEnvironment } from '@wlm/commons/plugin';
import { pluginSpecifier } from '@wlm/commons/plugin-host';
import { IsolatedTaskRunner, PluginLoader } from '@wlm/workers';
import type { LoadedPlugin, TaskOutcome } from '@wlm/workers';
import { ensureBuilt } from '../../support/ensure-built';
import { captureLogger } from '../../support/test-logger';

jest.setTimeout(60_000);

// What a task process must never load: the broker client, the Serf client (commons' serf module and
// its msgpack codec), the metrics registry, the DAG model, and the config loader (a task gets its settings from the worker, in its context).
const SERVICE_MODULES: readonly RegExp[] = [
  /\/node_modules\/amqplib\//,
  /\/node_modules\/@msgpack\//,
  /\/node_modules\/prom-client\//,
  /\/commons\/dist\/amqp\//,
  /\/commons\/dist\/serf\//,
  /\/commons\/dist\/config\//,
  /\/commons\/dist\/dag\//,
];
const SSH_CLIENT = /\/node_modules\/ssh2\//;

// The plugins of this repository, with params that reach the plugin module in the task process:
// the local ones run to completion, the remote ones fail on their params (no compute resource is
// needed to see what their module loads).
const PLUGINS = [
  { type: 'echo', params: { message: 'hi' }, status: 'completed', remote: false },
  { type: 'shell', params: { command: 'true' }, status: 'completed', remote: false },
  { type: 'env-setup', params: {}, status: 'failed', remote: true },
  { type: 'data-staging', params: {}, status: 'failed', remote: true },
  { type: 'job-submission', params: {}, status: 'failed', remote: true },
] as const;

describe('what a task process loads', () => {
  const captured = captureLogger('warn');
  const dir = mkdtempSync(join(tmpdir(), 'wlm-task-modules-'));
  const report = join(dir, 'loaded-modules.json');
  // Task processes as the worker starts them, plus a preload that reports their loaded modules.
  const taskEnvironment = { ...inheritedEnvironment(), WLM_TEST_LOADED_MODULES: report };
  let runner: IsolatedTaskRunner;
  const loaded = new Map<string, LoadedPlugin>();

  beforeAll(async () => {
    ensureBuilt(['tasks/env-setup', 'tasks/data-staging', 'tasks/job-submission']);
    const result = await new PluginLoader({ logger: captured.logger }).load(
      PLUGINS.map((plugin) => pluginSpecifier(plugin.type)),
    );
    expect(result.failures).toEqual([]);
    for (const plugin of result.plugins) loaded.set(plugin.taskType, plugin);
    runner = new IsolatedTaskRunner({
      logger: captured.logger,
      taskEnvironment,
      execArgv: ['--require', join(__dirname, '..', '..', 'fixtures', 'report-loaded-modules.js')],
    });
  });

  afterAll(async () => {
    await runner.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function modulesOfTask(
    type: string,
    params: unknown,
  ): Promise<{ outcome: TaskOutcome; files: string[] }> {
    const plugin = loaded.get(type);
    if (plugin === undefined) throw new Error(`plugin ${type} did not load`);
    rmSync(report, { force: true });
    const outcome = await runner.run({
      plugin,
      experimentId: 'exp-modules',
      taskId: type,
      attempt: 1,
      run: 1,
      params,
    });
    return { outcome, files: JSON.parse(readFileSync(report, 'utf8')) as string[] };
  }

  it.each(PLUGINS)(
    '$type: the plugin SDK and the plugin, never the broker or Serf clients nor the config loader',
    async ({ type, params, status, remote }) => {
      const { outcome, files } = await modulesOfTask(type, params);
      expect(outcome.status).toBe(status);
      // The report is that of the process that ran this plugin.
      expect(files).toContain(loaded.get(type)?.modulePath);
      for (const pattern of SERVICE_MODULES) expect(files.filter((file) => pattern.test(file))).toEqual([]);
      // Only a plugin that works over SSH loads the SSH client; every plugin loads the SDK entry.
      expect(files.some((file) => SSH_CLIENT.test(file))).toBe(remote);
      expect(files).toContainEqual(expect.stringMatching(/\/commons\/dist\/plugin-sdk\.js$/));
    },
  );
});
