/** What the files of a new plugin package are made of. */
export interface PluginTemplateValues {
  /** The task type, e.g. `word-count`. */
  readonly name: string;
  /** `WORD_COUNT`: the prefix of the plugin's error codes. */
  readonly codePrefix: string;
  readonly commonsVersion: string;
  readonly zodRange: string;
}

/** The files of a new plugin package, by path relative to its directory. */
export function pluginTemplates(values: PluginTemplateValues): Record<string, string> {
  const { name, codePrefix, commonsVersion, zodRange } = values;
  return {
    'package.json': `${JSON.stringify(
      {
        name: `@wlm/task-${name}`,
        version: '0.1.0',
        description: `wlm task plugin: ${name}`,
        license: 'Apache-2.0',
        main: 'dist/index.js',
        types: 'dist/index.d.ts',
        files: ['dist'],
        dependencies: { '@wlm/commons': commonsVersion, zod: zodRange },
      },
      null,
      2,
    )}\n`,
    'tsconfig.json': `${JSON.stringify(
      {
        extends: '../../tsconfig.base.json',
        compilerOptions: { rootDir: 'src', outDir: 'dist' },
        include: ['src'],
        references: [{ path: '../../commons' }],
      },
      null,
      2,
    )}\n`,
    'src/index.ts': `/**
 * \`@wlm/task-${name}\` — the \`${name}\` task type. A worker loads it with \`--tasks ${name}\`.
 *
 * @example
 * \`\`\`yaml
 * tasks:
 *   - { id: a, type: ${name}, params: { text: hello, times: 3 } }
 * \`\`\`
 */
export { plugin, ${codePrefix}_FAILURES } from './${name}-plugin';
export type { ${pascal(name)}Params, ${pascal(name)}Outputs } from './${name}-plugin';
export { plugin as default } from './${name}-plugin';
`,
    [`src/${name}-plugin.ts`]: `import { setTimeout as sleep } from 'node:timers/promises';
// The plugin SDK: all a task process needs of wlm (the root entry also holds the services' clients).
// A plugin reads no config or environment of its own: what the worker lets tasks use comes in the
// context, e.g. ctx.resources.get(name) for a compute resource (reached with @wlm/commons/remote).
import { TaskFailure, definePlugin } from '@wlm/commons/plugin';
import { z } from 'zod';

/** The codes of the failures this plugin throws on purpose: stable, so people and code can decide on them. */
export const ${codePrefix}_FAILURES = {
  EMPTY_TEXT: '${codePrefix}_EMPTY_TEXT',
} as const;

// Strict: a misspelt param is refused when the DAG is stored, not ignored when the task runs.
const inputSchema = z.strictObject({
  /** What to repeat. */
  text: z.string(),
  times: z.int().min(1).max(1000).default(1),
  /** A pause before each repetition, to show progress and cancellation. */
  delayMs: z.int().min(0).max(60_000).default(0),
});

// Declared outputs: a DAG whose template names another key is refused when it is stored.
const outputSchema = z.object({
  text: z.string(),
  length: z.int(),
});

export type ${pascal(name)}Params = z.input<typeof inputSchema>;
export type ${pascal(name)}Outputs = z.output<typeof outputSchema>;

export const plugin = definePlugin({
  name: '${name}',
  version: '0.1.0',
  description: 'Repeats params.text params.times times',
  inputSchema,
  outputSchema,
  async run(ctx, signal) {
    const { text, times, delayMs } = ctx.params;
    if (text === '') {
      // Not retryable: the same params fail the same way on every worker.
      throw TaskFailure.nonRetryable(${codePrefix}_FAILURES.EMPTY_TEXT, 'params.text is empty: nothing to repeat');
    }
    const parts: string[] = [];
    for (let index = 1; index <= times; index += 1) {
      // A cancel, a timeout or the worker stopping aborts the signal: stop promptly, with its reason.
      await sleep(delayMs, undefined, { signal }).catch((error: unknown) => {
        signal.throwIfAborted();
        throw error;
      });
      parts.push(text);
      ctx.progress(\`repetition \${index} of \${times}\`, (100 * index) / times);
    }
    const repeated = parts.join(' ');
    ctx.logger.info({ length: repeated.length }, 'repeated');
    return { text: repeated, length: repeated.length };
  },
});
`,
    [`test/unit/${name}-plugin.test.ts`]: `import pino from 'pino';
import { ComputeResources, TaskFailure, isTaskPlugin } from '@wlm/commons/plugin';
import type { TaskContext } from '@wlm/commons/plugin';
import ${camel(name)}, { ${codePrefix}_FAILURES, plugin } from '@wlm/task-${name}';

type Params = ReturnType<typeof plugin.inputSchema.parse>;

function context(params: unknown, progress: TaskContext<Params>['progress'] = () => undefined): TaskContext<Params> {
  return {
    experimentId: 'exp-1',
    run: 1,
    taskId: 'a',
    attempt: 1,
    params: plugin.inputSchema.parse(params),
    // What the worker hands every task from its config: here no compute resource, no local root.
    resources: new ComputeResources(),
    localRoots: [],
    logger: pino({ level: 'silent' }),
    progress,
  };
}

const never = new AbortController().signal;

describe('${name} plugin', () => {
  it('is a task plugin exported both by name and as the default', () => {
    expect(isTaskPlugin(plugin)).toBe(true);
    expect(${camel(name)}).toBe(plugin);
    expect(plugin.name).toBe('${name}');
  });

  it('repeats its text and reports progress for each repetition', async () => {
    const reports: (number | undefined)[] = [];
    const outputs = await plugin.run(context({ text: 'hi', times: 2 }, (_m, percent) => reports.push(percent)), never);
    expect(outputs).toEqual({ text: 'hi hi', length: 5 });
    expect(plugin.outputSchema?.parse(outputs)).toEqual(outputs);
    expect(reports).toEqual([50, 100]);
  });

  it('refuses params it does not know', () => {
    expect(plugin.inputSchema.safeParse({ text: 'x', colour: 'red' }).success).toBe(false);
  });

  it('fails an empty text for good', async () => {
    const failure = await plugin.run(context({ text: '' }), never).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(TaskFailure);
    expect(failure).toMatchObject({ code: ${codePrefix}_FAILURES.EMPTY_TEXT, retryable: false });
  });

  it('stops when its signal is aborted', async () => {
    const controller = new AbortController();
    const running = plugin.run(context({ text: 'x', delayMs: 60_000 }), controller.signal);
    controller.abort(new Error('cancelled by test'));
    await expect(running).rejects.toThrow('cancelled by test');
  });
});
`,
  };
}

/** `word-count` → `WordCount`. */
function pascal(name: string): string {
  return name
    .split(/[^a-z0-9]+/)
    .filter((part) => part !== '')
    .map((part) => part[0]?.toUpperCase() + part.slice(1))
    .join('');
}

/** `word-count` → `wordCount`. */
function camel(name: string): string {
  const text = pascal(name);
  return (text[0]?.toLowerCase() ?? '') + text.slice(1);
}
