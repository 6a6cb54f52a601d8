import {
  paramsLimitProblems,
  parseDagDefinition,
  smallestRendering,
  validateDagDefinition,
} from '@wlm/commons/dag';
import {
  MAX_CONTEXT_BYTES,
  MAX_JSON_DEPTH,
  MAX_LABEL_KEY_LENGTH,
  MAX_LABEL_VALUE_LENGTH,
  MAX_RETRY_BACKOFF_MS,
  MAX_TASK_TIMEOUT_MS,
  encodeMessage,
  taskRequestSchema,
} from '@wlm/commons/wire';
import type { JsonObject, JsonValue } from '@wlm/commons/wire';
import { validRequest } from '../wire/wire-fixtures';
import { problemsOf } from './dag-test-support';

/** `levels` objects nested in one another, a number at the bottom: `{ n: { n: 1 } }` is 2 levels. */
function nested(levels: number): JsonObject {
  let value: JsonValue = 1;
  for (let level = 0; level < levels; level += 1) value = { n: value };
  return value as JsonObject;
}

/** Params that take exactly `bytes` bytes as JSON: `{"s":"xxx…"}`. */
function sized(bytes: number): JsonObject {
  return { s: 'x'.repeat(bytes - '{"s":""}'.length) };
}

function dagWith(params: JsonValue, extra: Record<string, unknown> = {}): unknown {
  return { type: 'limits', tasks: [{ id: 'a', type: 'echo', params, ...extra }] };
}

/** Whether the wire accepts a request with `context`: the limits DAG validation must agree with. */
function wireAccepts(context: JsonValue): boolean {
  try {
    encodeMessage(taskRequestSchema, { ...validRequest(), context });
    return true;
  } catch {
    return false;
  }
}

describe('DAG validation: the wire limits on params', () => {
  it('refuses params nested deeper than the wire allows, naming the task and the limit', () => {
    expect(problemsOf(() => validateDagDefinition(dagWith(nested(200))))).toEqual([
      `task "a": params nested deeper than ${MAX_JSON_DEPTH} levels (the wire's limit)`,
    ]);
    expect(problemsOf(() => validateDagDefinition(dagWith(nested(MAX_JSON_DEPTH + 1))))).toEqual([
      `task "a": params nested deeper than 31 levels (the wire's limit)`,
    ]);
  });

  it('accepts params at exactly the depth limit, which the wire accepts too', () => {
    expect(() => validateDagDefinition(dagWith(nested(MAX_JSON_DEPTH)))).not.toThrow();
    expect(wireAccepts(nested(MAX_JSON_DEPTH))).toBe(true);
    expect(wireAccepts(nested(MAX_JSON_DEPTH + 1))).toBe(false);
  });

  it('counts arrays as levels, as the wire does', () => {
    // The params object is the first level, then 63 lists.
    let value: JsonValue = [];
    for (let level = 2; level < MAX_JSON_DEPTH; level += 1) value = [value];
    const atLimit = { list: value };
    expect(() => validateDagDefinition(dagWith(atLimit))).not.toThrow();
    expect(wireAccepts(atLimit)).toBe(true);
    const over = { list: [value] };
    expect(problemsOf(() => validateDagDefinition(dagWith(over)))).toEqual([
      `task "a": params nested deeper than 31 levels (the wire's limit)`,
    ]);
    expect(wireAccepts(over)).toBe(false);
  });

  it('refuses params larger than the wire allows, and accepts them at exactly the limit', () => {
    expect(() => validateDagDefinition(dagWith(sized(MAX_CONTEXT_BYTES)))).not.toThrow();
    expect(wireAccepts(sized(MAX_CONTEXT_BYTES))).toBe(true);
    expect(problemsOf(() => validateDagDefinition(dagWith(sized(MAX_CONTEXT_BYTES + 1))))).toEqual([
      `task "a": params take at least ${MAX_CONTEXT_BYTES + 1} bytes as JSON, more than ${MAX_CONTEXT_BYTES} (the wire's limit)`,
    ]);
    expect(wireAccepts(sized(MAX_CONTEXT_BYTES + 1))).toBe(false);
  });

  it('measures size in UTF-8 bytes, as the codec encodes', () => {
    // "é" is two bytes: half as many characters reach the limit.
    const params = { s: 'é'.repeat((MAX_CONTEXT_BYTES - 8) / 2) };
    expect(paramsLimitProblems(params)).toEqual([]);
    expect(paramsLimitProblems({ ...params, t: 1 })).toHaveLength(1);
  });

  it('counts each template as the smallest value it can render to', () => {
    // Alone, a template renders to at least one byte (`0`); inside text, to nothing.
    const room = MAX_CONTEXT_BYTES - '{"s":"","t":0}'.length;
    const fits = { s: `${'x'.repeat(room)}{{inputs.extra}}`, t: '{{inputs.n}}' };
    expect(smallestRendering(fits)).toEqual({ s: 'x'.repeat(room), t: 0 });
    expect(() => validateDagDefinition(dagWith(fits))).not.toThrow();
    const over = { ...fits, s: `${fits.s}y` };
    expect(problemsOf(() => validateDagDefinition(dagWith(over)))).toEqual([
      `task "a": params take at least ${MAX_CONTEXT_BYTES + 1} bytes as JSON, more than ${MAX_CONTEXT_BYTES} (the wire's limit)`,
    ]);
  });

  it('renders the given inputs, so what they add to depth and size counts', () => {
    const params = { wrap: { value: '{{inputs.deep}}' } };
    expect(paramsLimitProblems(smallestRendering(params))).toEqual([]);
    const rendered = smallestRendering(params, { deep: nested(MAX_JSON_DEPTH - 1) });
    expect(paramsLimitProblems(rendered, { subject: 'params rendered with the inputs' })).toEqual([
      `params rendered with the inputs nested deeper than 31 levels (the wire's limit)`,
    ]);
  });

  it('names each offending task and reports the other problems of the definition too', () => {
    const problems = problemsOf(() =>
      validateDagDefinition({
        type: 'limits',
        tasks: [
          { id: 'fine', type: 'echo', params: nested(3) },
          { id: 'deep', type: 'echo', params: nested(70) },
          { id: 'big', type: 'echo', params: sized(MAX_CONTEXT_BYTES + 10), after: ['nowhere'] },
        ],
      }),
    );
    expect(problems).toEqual([
      'task "big": after refers to unknown task "nowhere"',
      `task "deep": params nested deeper than 31 levels (the wire's limit)`,
      `task "big": params take at least ${MAX_CONTEXT_BYTES + 10} bytes as JSON, more than ${MAX_CONTEXT_BYTES} (the wire's limit)`,
    ]);
  });

  it('reads YAML aliases expanded, as the params will be sent', () => {
    const chunk = 'x'.repeat(MAX_CONTEXT_BYTES / 4);
    const yaml = `type: limits\ntasks:\n  - id: a\n    type: echo\n    params:\n      one: &c "${chunk}"\n      parts: [*c, *c, *c]\n`;
    expect(problemsOf(() => parseDagDefinition(yaml))).toEqual([
      expect.stringMatching(/^task "a": params take at least \d+ bytes as JSON, more than 4194304/),
    ]);
  });
});

describe('DAG validation: the other wire limits of a task', () => {
  it('uses the wire’s bounds for timeouts, backoff and labels, accepting each at the limit', () => {
    const atLimits = dagWith(
      {},
      {
        timeoutMs: MAX_TASK_TIMEOUT_MS,
        retry: { maxAttempts: 2, backoffMs: MAX_RETRY_BACKOFF_MS },
        constraints: {
          labels: { ['k'.repeat(MAX_LABEL_KEY_LENGTH)]: 'v'.repeat(MAX_LABEL_VALUE_LENGTH) },
        },
      },
    );
    const dag = validateDagDefinition(atLimits);
    const task = dag.tasks[0];
    expect(() =>
      encodeMessage(taskRequestSchema, {
        ...validRequest(),
        timeoutMs: task?.timeoutMs,
        retry: task?.retry,
        constraints: task?.constraints,
      }),
    ).not.toThrow();
  });

  it.each([
    ['timeoutMs', { timeoutMs: MAX_TASK_TIMEOUT_MS + 1 }],
    ['retry.backoffMs', { retry: { maxAttempts: 2, backoffMs: MAX_RETRY_BACKOFF_MS + 1 } }],
    ['a label name', { constraints: { labels: { ['k'.repeat(MAX_LABEL_KEY_LENGTH + 1)]: 'v' } } }],
    ['a label value', { constraints: { labels: { k: 'v'.repeat(MAX_LABEL_VALUE_LENGTH + 1) } } }],
  ])('refuses %s past the wire’s bound', (_field, extra) => {
    expect(problemsOf(() => validateDagDefinition(dagWith({}, extra)))).toHaveLength(1);
  });
});
