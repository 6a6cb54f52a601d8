import { z } from 'zod';
import { definePlugin, isTaskPlugin, taskPluginProblems } from '@wlm/commons/plugin';
import { pluginFromModule } from '@wlm/commons/plugin-host';

const plugin = definePlugin({
  name: 'greet',
  version: '1.2.0',
  description: 'says hello',
  inputSchema: z.object({ who: z.string() }),
  async run(ctx) {
    return { greeting: `hello ${ctx.params.who}` };
  },
});

describe('isTaskPlugin', () => {
  it('accepts a plugin built with definePlugin', () => {
    expect(isTaskPlugin(plugin)).toBe(true);
    expect(taskPluginProblems(plugin)).toEqual([]);
  });

  it('lists every problem of something that is not a plugin', () => {
    expect(taskPluginProblems({ name: 'Bad Name', version: 'latest', inputSchema: {}, run: 'no' })).toEqual([
      expect.stringContaining('name must be a task type'),
      expect.stringContaining('version must be a semantic version'),
      'description must be a string',
      'inputSchema must be a zod schema',
      'run must be a function (ctx, signal) => Promise',
    ]);
    expect(isTaskPlugin(null)).toBe(false);
    expect(taskPluginProblems('echo')).toEqual(['expected a plugin object, got string']);
  });

  it('rejects an output schema that is not a schema', () => {
    expect(taskPluginProblems({ ...plugin, outputSchema: 42 })).toEqual([
      'outputSchema must be a zod schema when given',
    ]);
  });
});

describe('pluginFromModule', () => {
  it('finds the plugin as a named export, a default export, or CommonJS exports seen through import()', () => {
    expect(pluginFromModule({ plugin })).toBe(plugin);
    expect(pluginFromModule({ default: plugin })).toBe(plugin);
    expect(pluginFromModule({ default: { plugin, default: plugin } })).toBe(plugin);
  });

  it('explains why a module offers no plugin', () => {
    expect(pluginFromModule({ somethingElse: 1 })).toEqual({
      problems: ['the module exports no `plugin` and no default export'],
    });
    expect(pluginFromModule({ plugin: { ...plugin, run: undefined } })).toEqual({
      problems: ['run must be a function (ctx, signal) => Promise'],
    });
  });
});
