import type { z } from 'zod';
import type { TaskPlugin } from '../plugin/task-plugin';
import type { DagDefinition } from './dag-schema';
import { formatIssuePath } from '../wire/issue-path';
import type { JsonObject } from '../wire/json';
import { smallestRendering } from './render-params';
import { describeSchemaIssues } from './schema-issues';
import { scanTemplates, templateTokens } from './template-syntax';

/** What the checks need of a plugin: its name, version and schemas. */
export type PluginSchemas = Pick<TaskPlugin, 'name' | 'version' | 'inputSchema' | 'outputSchema'>;

/** How a params string holds templates: as its whole value (type unknown before the run) or inside text. */
type Templated = 'whole' | 'inside';

/** `params.a.b[0]` → whether that string is one template or has templates in it. */
function templatedStrings(params: JsonObject): Map<string, Templated> {
  const found = new Map<string, Templated>();
  const visit = (node: unknown, path: (string | number)[]): void => {
    if (typeof node === 'string') {
      const tokens = templateTokens(node);
      const [only] = tokens;
      if (only === undefined) return;
      const whole = tokens.length === 1 && only.start === 0 && only.end === node.length;
      found.set(formatIssuePath(path), whole ? 'whole' : 'inside');
    } else if (Array.isArray(node)) {
      node.forEach((child: unknown, index) => visit(child, [...path, index]));
    } else if (typeof node === 'object' && node !== null) {
      for (const [key, child] of Object.entries(node)) visit(child, [...path, key]);
    }
  };
  visit(params, ['params']);
  return found;
}

/**
 * Whether an issue of the trial rendering can be trusted. A whole-string template may render to
 * any JSON value, so nothing said about its field holds; a template inside text renders to a
 * string whose content is unknown, so only "a string is not accepted here" holds. Refinements of
 * an object or list that holds templates judge placeholder content, so they are left to the run.
 */
function trustworthy(issue: z.core.$ZodIssue, templated: Map<string, Templated>): boolean {
  const field = formatIssuePath(['params', ...issue.path]);
  const kind = templated.get(field);
  if (kind === 'whole') return false;
  if (kind === 'inside') return issue.code === 'invalid_type';
  const holdsTemplates = [...templated.keys()].some(
    (path) => path.startsWith(`${field}.`) || path.startsWith(`${field}[`),
  );
  return !holdsTemplates || issue.code === 'invalid_type' || issue.code === 'unrecognized_keys';
}

/**
 * The output keys a plugin declares, or undefined when its output schema does not say (none given,
 * not an object, or an object that lets any other key through). Read from zod's definition by
 * shape rather than `instanceof`: a plugin package may bring its own copy of zod.
 */
export function declaredOutputKeys(plugin: PluginSchemas): string[] | undefined {
  const def = (
    plugin.outputSchema as { def?: { type?: string; shape?: object; catchall?: unknown } } | undefined
  )?.def;
  if (def?.type !== 'object' || def.shape === undefined) return undefined;
  const catchall = (def.catchall as { def?: { type?: string } } | undefined)?.def?.type;
  if (catchall !== undefined && catchall !== 'never') return undefined;
  return Object.keys(def.shape).sort();
}

/**
 * Problems in `dag` that the plugins of its task types show before anything runs, each naming the
 * task and the field:
 *
 * - params a plugin's input schema refuses, checked after a trial rendering of the templates (see
 *   {@link trustworthy} for what a template leaves open);
 * - `{{tasks.<id>.outputs.<key>}}` naming a key the upstream task's plugin does not declare.
 *
 * Task types without a plugin in `plugins` are not checked: the worker validates them when they run.
 *
 * @example
 * ```ts
 * pluginProblems(dag, new Map([['env-setup', envSetupPlugin]]));
 * // ['task "provision": unknown field "host" in params (plugin env-setup 0.1.0)']
 * ```
 */
export function pluginProblems(dag: DagDefinition, plugins: ReadonlyMap<string, PluginSchemas>): string[] {
  const problems: string[] = [];
  dag.tasks.forEach((task, index) => {
    const plugin = plugins.get(task.type);
    const params = task.params ?? {};
    if (plugin !== undefined) {
      const templated = templatedStrings(params);
      const result = plugin.inputSchema.safeParse(smallestRendering(params));
      if (!result.success) {
        const issues = result.error.issues
          .filter((issue) => trustworthy(issue, templated))
          .map((issue) => ({ ...issue, path: ['tasks', index, 'params', ...issue.path] }));
        const from = ` (plugin ${plugin.name} ${plugin.version})`;
        problems.push(...describeSchemaIssues(issues, dag).map((problem) => problem + from));
      }
    }
    for (const reference of scanTemplates(params)) {
      if (reference.kind !== 'task-output') continue;
      const upstream = dag.tasks.find((candidate) => candidate.id === reference.taskId);
      const upstreamPlugin = upstream === undefined ? undefined : plugins.get(upstream.type);
      const declared = upstreamPlugin === undefined ? undefined : declaredOutputKeys(upstreamPlugin);
      if (declared === undefined || declared.includes(reference.key)) continue;
      problems.push(
        `task ${JSON.stringify(task.id)}: ${reference.path} refers to output ${JSON.stringify(reference.key)} ` +
          `of task ${JSON.stringify(reference.taskId)}, which plugin ${upstreamPlugin?.name ?? '?'} does not ` +
          `declare (its outputs: ${declared.join(', ')})`,
      );
    }
  });
  return problems;
}
