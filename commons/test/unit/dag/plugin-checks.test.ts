import { z } from 'zod';
import { declaredOutputKeys, parseDagDefinition, pluginProblems } from '@wlm/commons/dag';
import type { PluginSchemas } from '@wlm/commons/dag';

const setup: PluginSchemas = {
  name: 'setup',
  version: '1.0.0',
  inputSchema: z.strictObject({
    resource: z.string().min(1),
    port: z.int().min(1).optional(),
    dir: z
      .string()
      .refine((value) => value.startsWith('/'), 'must be an absolute path')
      .optional(),
  }),
  outputSchema: z.object({ workDir: z.string(), inputsDir: z.string() }),
};
const loose: PluginSchemas = {
  name: 'loose',
  version: '0.1.0',
  inputSchema: z.looseObject({}),
  outputSchema: z.looseObject({ known: z.string() }),
};
const plugins = new Map([
  ['setup', setup],
  ['loose', loose],
]);

function problems(yaml: string): string[] {
  return pluginProblems(parseDagDefinition(`type: t\n${yaml}`), plugins);
}

describe('pluginProblems: params against the plugin input schema', () => {
  it('names the task and the field a plugin refuses, and the plugin', () => {
    expect(
      problems(`tasks:
  - { id: a, type: setup, params: { host: example.org, port: 'x{{inputs.port}}' } }`),
    ).toEqual([
      'task "a": missing required field "params.resource" (plugin setup 1.0.0)',
      'task "a": params.port: expected a number, got a string ("x{{inputs.port}}") (plugin setup 1.0.0)',
      'task "a": unknown field "host" in params (plugin setup 1.0.0)',
    ]);
  });

  it('trusts a whole-string template to render to the right type, and a template in text to fill a string', () => {
    expect(
      problems(`tasks:
  - { id: a, type: setup, params: { resource: '{{inputs.r}}', port: '{{inputs.port}}', dir: '{{inputs.root}}/run' } }
  - { id: b, type: setup, after: [a], params: { resource: 'x{{tasks.a.outputs.workDir}}' } }`),
    ).toEqual([]);
  });

  it('still checks a literal value beside templates', () => {
    expect(
      problems(`tasks:
  - { id: a, type: setup, params: { resource: '{{inputs.r}}', dir: relative/path } }`),
    ).toEqual(['task "a": params.dir: must be an absolute path (plugin setup 1.0.0)']);
  });

  it('leaves task types without a known plugin to the worker', () => {
    expect(problems(`tasks:\n  - { id: a, type: other, params: { anything: 1 } }`)).toEqual([]);
  });
});

describe('pluginProblems: outputs a template names', () => {
  it('names an output the upstream plugin does not declare, with the ones it does', () => {
    expect(
      problems(`tasks:
  - { id: a, type: setup, params: { resource: r } }
  - { id: b, type: other, after: [a], params: { dir: '{{tasks.a.outputs.workdir}}', ok: '{{tasks.a.outputs.workDir}}' } }`),
    ).toEqual([
      'task "b": params.dir refers to output "workdir" of task "a", which plugin setup does not declare ' +
        '(its outputs: inputsDir, workDir)',
    ]);
  });

  it('does not judge outputs of a plugin whose output schema lets any key through, or of a type it does not know', () => {
    expect(
      problems(`tasks:
  - { id: a, type: loose }
  - { id: b, type: other }
  - { id: c, type: other, after: [a, b], params: { x: '{{tasks.a.outputs.anything}}', y: '{{tasks.b.outputs.whatever}}' } }`),
    ).toEqual([]);
  });
});

describe('declaredOutputKeys', () => {
  it('reads the keys of an object schema, and none of a loose, missing or non-object one', () => {
    expect(declaredOutputKeys(setup)).toEqual(['inputsDir', 'workDir']);
    expect(declaredOutputKeys({ ...setup, outputSchema: z.strictObject({ a: z.string() }) })).toEqual(['a']);
    expect(declaredOutputKeys(loose)).toBeUndefined();
    const { name, version, inputSchema } = setup;
    expect(declaredOutputKeys({ name, version, inputSchema })).toBeUndefined();
    expect(declaredOutputKeys({ ...setup, outputSchema: z.array(z.string()) })).toBeUndefined();
  });
});
