import { join } from 'node:path';
import { PluginLoader, pluginSpecifier } from '@wlm/workers';
import { ensureBuilt } from '../../support/ensure-built';
import { captureLogger } from '../../support/test-logger';

jest.setTimeout(30_000);

const FIXTURES = join(__dirname, '..', '..', 'fixtures');

describe('PluginLoader', () => {
  beforeAll(ensureBuilt);

  it('loads the good modules and reports each bad one with its reason', async () => {
    const captured = captureLogger();
    const loader = new PluginLoader({ logger: captured.logger, resolvePaths: [FIXTURES] });
    const result = await loader.load([
      '@wlm/task-echo',
      './good-plugin.js',
      '@wlm/task-does-not-exist',
      './not-a-plugin.js',
      './load-throws.js',
      './exits-plugin.js',
    ]);

    expect(result.plugins).toEqual([
      expect.objectContaining({ taskType: 'echo', specifier: '@wlm/task-echo', version: '0.1.0' }),
      expect.objectContaining({
        taskType: 'fixture-good',
        specifier: './good-plugin.js',
        modulePath: join(FIXTURES, 'good-plugin.js'),
      }),
      // Loading it is harmless; only running it exits.
      expect.objectContaining({ taskType: 'fixture-exits' }),
    ]);
    expect(result.failures).toEqual([
      { specifier: '@wlm/task-does-not-exist', reason: expect.stringContaining('cannot find plugin module') },
      {
        specifier: './not-a-plugin.js',
        reason: expect.stringMatching(/does not export a task plugin: name must .*version must/),
      },
      { specifier: './load-throws.js', reason: expect.stringContaining('this module cannot be loaded') },
    ]);
    expect(captured.records()).toContainEqual(
      expect.objectContaining({ specifier: './not-a-plugin.js', msg: 'task plugin not loaded' }),
    );
  });

  it('loads an ES module plugin from its default export', async () => {
    const loader = new PluginLoader({ logger: captureLogger().logger });
    const { plugins, failures } = await loader.load([join(FIXTURES, 'esm-plugin.mjs')]);
    expect(failures).toEqual([]);
    expect(plugins).toEqual([expect.objectContaining({ taskType: 'fixture-esm', version: '2.0.0' })]);
  });

  it('refuses a second module serving a task type already loaded', async () => {
    const loader = new PluginLoader({ logger: captureLogger().logger, resolvePaths: [FIXTURES] });
    const { plugins, failures } = await loader.load(['./good-plugin.js', join(FIXTURES, 'good-plugin.js')]);
    expect(plugins).toHaveLength(1);
    expect(failures).toEqual([
      {
        specifier: join(FIXTURES, 'good-plugin.js'),
        reason: 'task type "fixture-good" is already served by ./good-plugin.js',
      },
    ]);
  });
});

describe('pluginSpecifier', () => {
  it('maps a bare task type to its @wlm package and leaves names and paths alone', () => {
    expect(pluginSpecifier('echo')).toBe('@wlm/task-echo');
    expect(pluginSpecifier('data-staging')).toBe('@wlm/task-data-staging');
    expect(pluginSpecifier('@acme/task-x')).toBe('@acme/task-x');
    expect(pluginSpecifier('./plugins/x.js')).toBe('./plugins/x.js');
  });
});
