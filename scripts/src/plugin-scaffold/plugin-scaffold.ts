import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { format, resolveConfig } from 'prettier';
import { taskTypeSchema } from '@wlm/commons/wire';
import { PluginScaffoldError } from '../errors/plugin-scaffold-error';
import { pluginTemplates } from './plugin-templates';

export interface ScaffoldResult {
  /** The new package's directory. */
  readonly directory: string;
  /** Every file written, relative to the checkout's root. */
  readonly files: readonly string[];
}

interface Manifest {
  version?: string;
  workspaces?: string[];
  dependencies?: Record<string, string>;
}

function readJson<T>(file: string): T {
  return JSON.parse(readFileSync(file, 'utf8')) as T;
}

/** The root of the wlm checkout `from` is in: the package.json whose workspaces hold `tasks/*`. */
export function findCheckoutRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && (readJson<Manifest>(manifest).workspaces ?? []).includes('tasks/*'))
      return dir;
    if (dirname(dir) === dir) {
      throw new PluginScaffoldError(
        `${from} is not inside a wlm checkout (no package.json with workspace "tasks/*" above it); ` +
          'run it from the checkout, or see docs/writing-a-plugin.md for a plugin package of your own',
      );
    }
  }
}

/** `text` as the checkout's Prettier settings lay out `file`: the new package passes `npm run lint` as it is. */
async function formatted(file: string, text: string): Promise<string> {
  return format(text, { ...(await resolveConfig(file)), filepath: file });
}

/**
 * Creates `tasks/<name>`: package.json (`@wlm/task-<name>`), tsconfig.json, a plugin with input and
 * output schemas, progress, cancellation and a failure code, and its unit test; and adds the package
 * to the checkout's tsconfig.json references so that `tsc --build` builds it. Versions of
 * `@wlm/commons` and zod are those of the checkout's commons.
 */
export async function scaffoldPlugin(root: string, name: string): Promise<ScaffoldResult> {
  if (!taskTypeSchema.safeParse(name).success) {
    throw new PluginScaffoldError(
      `"${name}" is not a task type: a lower-case letter, then lower-case letters, digits, _ . or - (e.g. word-count)`,
    );
  }
  const directory = join(root, 'tasks', name);
  if (existsSync(directory)) throw new PluginScaffoldError(`${relative(root, directory)} exists already`);
  const commons = readJson<Manifest>(join(root, 'commons', 'package.json'));
  const files = pluginTemplates({
    name,
    codePrefix: name.toUpperCase().replace(/[^A-Z0-9]+/g, '_'),
    commonsVersion: commons.version ?? '0.1.0',
    zodRange: commons.dependencies?.['zod'] ?? 'latest',
  });
  const written: string[] = [];
  for (const [path, text] of Object.entries(files)) {
    const file = join(directory, path);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, await formatted(file, text), { flag: 'wx' });
    written.push(relative(root, file));
  }
  const tsconfigFile = join(root, 'tsconfig.json');
  const tsconfig = readJson<{ references?: { path: string }[] }>(tsconfigFile);
  tsconfig.references = [...(tsconfig.references ?? []), { path: `tasks/${name}` }];
  writeFileSync(tsconfigFile, await formatted(tsconfigFile, JSON.stringify(tsconfig)));
  return { directory, files: [...written, 'tsconfig.json'] };
}
