import type { JsonObject } from '../wire/json';
import { formatIssuePath } from '../wire/issue-path';

/** A reference to an experiment input: `{{inputs.<name>}}`. */
export interface InputReference {
  readonly kind: 'input';
  readonly name: string;
  /** The template as written, braces included. */
  readonly template: string;
  /** Where it sits in the task, e.g. `params.files[0].src`. */
  readonly path: string;
}

/** A reference to an upstream task's output: `{{tasks.<id>.outputs.<key>}}`. */
export interface TaskOutputReference {
  readonly kind: 'task-output';
  readonly taskId: string;
  readonly key: string;
  readonly template: string;
  readonly path: string;
}

/** What a `{{…}}` template in params refers to. */
export type TemplateReference = InputReference | TaskOutputReference;

/** A `{{…}}` that looks meant as a reference but follows neither form, e.g. `{{input.msg}}`. */
export interface MalformedTemplate {
  readonly kind: 'malformed';
  readonly template: string;
  readonly path: string;
}

/** One template inside a string, with its offsets for substitution. */
export interface TemplateToken {
  readonly start: number;
  readonly end: number;
  readonly template: string;
  /** The reference, or undefined when the template is malformed. */
  readonly reference:
    { kind: 'input'; name: string } | { kind: 'task-output'; taskId: string; key: string } | undefined;
}

const TEMPLATE = /\{\{([^{}]*)\}\}/g;
/**
 * Which `{{…}}` are ours. A dotted name (`{{input.msg}}`, `{{foo}}`) or anything starting with
 * `inputs`/`tasks` is meant as a reference, so a typo in one is an error, not silently literal
 * text; other brace text (`{{ .Values.x }}`, `{{ a | b }}`) is left alone for the plugin.
 */
const REFERENCE_LIKE = /^(?:[A-Za-z_][\w-]*(?:\.[\w-]+)*|(?:inputs|tasks)\b.*)$/s;
const INPUT_REFERENCE = /^inputs\.([A-Za-z0-9_-]+)$/;
const TASK_OUTPUT_REFERENCE = /^tasks\.([A-Za-z][A-Za-z0-9_-]{0,63})\.outputs\.([A-Za-z0-9_-]+)$/;

function parseReference(body: string): TemplateToken['reference'] {
  const input = INPUT_REFERENCE.exec(body);
  if (input?.[1] !== undefined) return { kind: 'input', name: input[1] };
  const output = TASK_OUTPUT_REFERENCE.exec(body);
  if (output?.[1] !== undefined && output[2] !== undefined) {
    return { kind: 'task-output', taskId: output[1], key: output[2] };
  }
  return undefined;
}

/** The templates in one string, in order; whitespace inside the braces is allowed. */
export function templateTokens(text: string): TemplateToken[] {
  if (!text.includes('{{')) return [];
  const tokens: TemplateToken[] = [];
  for (const match of text.matchAll(TEMPLATE)) {
    const body = (match[1] ?? '').trim();
    if (!REFERENCE_LIKE.test(body)) continue;
    const start = match.index;
    tokens.push({ start, end: start + match[0].length, template: match[0], reference: parseReference(body) });
  }
  return tokens;
}

/**
 * Every template in a params tree, well-formed or not. Takes `unknown` because validation scans
 * params before their schema has been checked.
 */
export function scanTemplates(params: unknown): (TemplateReference | MalformedTemplate)[] {
  const found: (TemplateReference | MalformedTemplate)[] = [];
  const visit = (node: unknown, path: (string | number)[]): void => {
    if (typeof node === 'string') {
      const where = formatIssuePath(path);
      for (const { template, reference } of templateTokens(node)) {
        found.push(
          reference === undefined
            ? { kind: 'malformed', template, path: where }
            : { ...reference, template, path: where },
        );
      }
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
 * The experiment inputs and upstream outputs a task's params refer to.
 *
 * @example
 * ```ts
 * templateReferences({ src: '{{tasks.stage.outputs.path}}', n: '{{inputs.n}}' });
 * // [{ kind: 'task-output', taskId: 'stage', key: 'path', template: '{{tasks.stage.outputs.path}}', path: 'params.src' },
 * //  { kind: 'input', name: 'n', template: '{{inputs.n}}', path: 'params.n' }]
 * ```
 */
export function templateReferences(params: JsonObject): TemplateReference[] {
  return scanTemplates(params).filter((found): found is TemplateReference => found.kind !== 'malformed');
}
