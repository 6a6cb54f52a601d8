import { TemplateResolutionError } from '../errors/template-resolution-error';
import { formatIssuePath } from '../wire/issue-path';
import type { JsonObject, JsonValue } from '../wire/json';
import { templateTokens } from './template-syntax';
import type { TemplateToken } from './template-syntax';

/** What templates may refer to when a task becomes ready. */
export interface TemplateContext {
  /** The experiment's inputs (`POST /api/experiments {inputs}`). */
  readonly inputs?: Readonly<Record<string, JsonValue>>;
  /** Outputs of the tasks that have completed, by task id. */
  readonly tasks?: Readonly<Record<string, { readonly outputs: Readonly<Record<string, JsonValue>> }>>;
}

/** Own properties only: `{{inputs.constructor}}` must not find `Object.prototype.constructor`. */
function own(record: Readonly<Record<string, JsonValue>> | undefined, key: string): JsonValue | undefined {
  return record !== undefined && Object.hasOwn(record, key) ? record[key] : undefined;
}

function resolve(token: TemplateToken, context: TemplateContext, path: string): JsonValue {
  const { reference, template } = token;
  if (reference === undefined) {
    throw new TemplateResolutionError(
      template,
      path,
      'not a valid template; write {{inputs.<name>}} or {{tasks.<id>.outputs.<key>}}',
    );
  }
  if (reference.kind === 'input') {
    const value = own(context.inputs, reference.name);
    if (value === undefined) {
      throw new TemplateResolutionError(
        template,
        path,
        `the experiment has no input ${JSON.stringify(reference.name)}; submit it with --input ${reference.name}=…`,
      );
    }
    return value;
  }
  const task =
    context.tasks !== undefined && Object.hasOwn(context.tasks, reference.taskId)
      ? context.tasks[reference.taskId]
      : undefined;
  if (task === undefined) {
    throw new TemplateResolutionError(
      template,
      path,
      `no outputs of task ${JSON.stringify(reference.taskId)} are known; it has not completed`,
    );
  }
  const value = own(task.outputs, reference.key);
  if (value === undefined) {
    throw new TemplateResolutionError(
      template,
      path,
      `task ${JSON.stringify(reference.taskId)} has no output ${JSON.stringify(reference.key)}`,
    );
  }
  return value;
}

/**
 * The value of one template. `alone` is true when the template is the whole string, whose value then
 * replaces the string with its JSON type; otherwise the value's text goes inside the string.
 */
type Resolver = (token: TemplateToken, path: string, alone: boolean) => JsonValue;

function renderString(text: string, resolver: Resolver, path: string): JsonValue {
  const tokens = templateTokens(text);
  const [only] = tokens;
  // A string that is one template and nothing else takes the referenced value as it is, so
  // `count: "{{inputs.n}}"` stays a number and a list stays a list.
  if (tokens.length === 1 && only !== undefined && only.start === 0 && only.end === text.length) {
    return resolver(only, path, true);
  }
  let rendered = '';
  let from = 0;
  for (const token of tokens) {
    const value = resolver(token, path, false);
    rendered += text.slice(from, token.start) + (typeof value === 'string' ? value : JSON.stringify(value));
    from = token.end;
  }
  return rendered + text.slice(from);
}

function renderValue(value: JsonValue, resolver: Resolver, path: (string | number)[]): JsonValue {
  if (typeof value === 'string') return renderString(value, resolver, formatIssuePath(path));
  if (Array.isArray(value))
    return value.map((item: JsonValue, index) => renderValue(item, resolver, [...path, index]));
  if (typeof value === 'object' && value !== null) {
    // fromEntries defines own properties, so a "__proto__" key stays data and never sets a prototype.
    return Object.fromEntries(
      Object.entries(value).map(([key, child]) => [key, renderValue(child, resolver, [...path, key])]),
    );
  }
  return value;
}

/**
 * A copy of `params` with every `{{inputs.x}}` and `{{tasks.<id>.outputs.<key>}}` filled in.
 * A string that is exactly one template becomes the referenced value with its JSON type; a
 * template inside longer text is replaced by the value's text (strings as they are, anything
 * else as JSON). Throws {@link TemplateResolutionError} naming the first missing reference.
 *
 * @example
 * ```ts
 * renderParams(
 *   { message: 'hello {{inputs.who}}', count: '{{tasks.a.outputs.n}}' },
 *   { inputs: { who: 'world' }, tasks: { a: { outputs: { n: 3 } } } },
 * ); // { message: 'hello world', count: 3 }
 * ```
 */
export function renderParams(params: JsonObject, context: TemplateContext): JsonObject {
  return renderValue(params, (token, path) => resolve(token, context, path), ['params']) as JsonObject;
}

/**
 * The smallest params a task can render to: each `{{inputs.x}}` whose input is given in `inputs`
 * takes its value, as {@link renderParams} would; every other template takes the shortest value it
 * could — `0` where it is the whole string, nothing inside text. Rendering never removes a level of
 * nesting, so the result is exactly as deep as the task's least deep rendering and no larger than
 * its smallest: a wire limit this breaks, every rendering breaks.
 */
export function smallestRendering(
  params: JsonObject,
  inputs: Readonly<Record<string, JsonValue>> = {},
): JsonObject {
  const resolver: Resolver = ({ reference }, _path, alone) => {
    const known = reference?.kind === 'input' ? own(inputs, reference.name) : undefined;
    if (known !== undefined) return known;
    return alone ? 0 : '';
  };
  return renderValue(params, resolver, ['params']) as JsonObject;
}
