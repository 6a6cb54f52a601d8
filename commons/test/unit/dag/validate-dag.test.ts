import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDagDefinition, validateDagDefinition } from '@wlm/commons/dag';
import { DagValidationError, WlmError } from '@wlm/commons/errors';
import { diamond, problemsOf } from './dag-test-support';

/** The example of docs/dags.md, read from it: the example users copy must keep parsing. */
const DOCS_EXAMPLE = (() => {
  const doc = readFileSync(join(__dirname, '..', '..', '..', '..', 'docs', 'dags.md'), 'utf8');
  const example = /## An example\n\n```yaml\n([\s\S]*?)```/.exec(doc)?.[1];
  if (example === undefined) throw new Error('docs/dags.md has no yaml block under "## An example"');
  return example;
})();

function withTasks(...tasks: unknown[]): unknown {
  return { type: 'bad', tasks };
}

describe('validateDagDefinition: accepted definitions', () => {
  it('parses the example of docs/dags.md', () => {
    const dag = parseDagDefinition(DOCS_EXAMPLE);
    expect(dag).toEqual({
      type: 'diamond',
      description: 'optional text',
      tasks: [
        { id: 'a', type: 'echo', params: { message: '{{inputs.msg}}' } },
        { id: 'b', type: 'echo', after: ['a'] },
        { id: 'c', type: 'echo', after: ['a'], retry: { maxAttempts: 3, backoffMs: 500 }, timeoutMs: 60000 },
        { id: 'd', type: 'echo', after: ['b', 'c'], constraints: { labels: { site: 'local' } } },
      ],
    });
  });

  it('accepts fan-out and fan-in (a diamond) given as an object', () => {
    expect(validateDagDefinition(diamond).tasks.map((task) => task.id)).toEqual(['a', 'b', 'c', 'd']);
  });

  it('accepts a single task, disconnected tasks and tasks listed before their dependencies', () => {
    expect(() => validateDagDefinition(withTasks({ id: 'only', type: 'echo' }))).not.toThrow();
    expect(() =>
      validateDagDefinition(
        withTasks(
          { id: 'z', type: 'echo', after: ['y'] },
          { id: 'y', type: 'echo' },
          { id: 'x', type: 'echo' },
        ),
      ),
    ).not.toThrow();
  });

  it('fills in empty constraint labels, as the wire expects', () => {
    const dag = validateDagDefinition(
      withTasks({ id: 'a', type: 'echo', constraints: { minPluginVersion: '1.2.0' } }),
    );
    expect(dag.tasks[0]?.constraints).toEqual({ labels: {}, minPluginVersion: '1.2.0' });
  });

  it('accepts templates that name experiment inputs and upstream tasks, directly or transitively', () => {
    expect(() =>
      validateDagDefinition(
        withTasks(
          { id: 'a', type: 'echo', params: { n: '{{ inputs.n }}' } },
          { id: 'b', type: 'echo', after: ['a'] },
          {
            id: 'c',
            type: 'echo',
            after: ['b'],
            params: { x: ['{{tasks.a.outputs.n}}', { y: '{{tasks.b.outputs.m}}' }] },
          },
        ),
      ),
    ).not.toThrow();
  });
});

describe('validateDagDefinition: every problem named', () => {
  it('names an unknown task field by task id, not by zod path', () => {
    const problems = problemsOf(() =>
      validateDagDefinition(
        withTasks(
          { id: 'a', type: 'echo' },
          { id: 'b', type: 'echo' },
          { id: 'c', type: 'echo', retries: 3 },
        ),
      ),
    );
    expect(problems).toEqual(['task "c": unknown field "retries"']);
  });

  it('names unknown fields at the top level and inside nested objects', () => {
    const problems = problemsOf(() =>
      validateDagDefinition({
        type: 'x',
        owner: 'me',
        tasks: [{ id: 'a', type: 'echo', retry: { maxAttempts: 2, backoffMs: 1, jitter: true } }],
      }),
    );
    expect(problems).toEqual(['task "a": unknown field "jitter" in retry', 'unknown field "owner"']);
  });

  it('names missing fields, and a task without an id by its position', () => {
    expect(problemsOf(() => validateDagDefinition({ tasks: [{ type: 'echo' }, 'a'] }))).toEqual([
      'missing required field "type"',
      'task #1: missing required field "id"',
      'task #2: expected a mapping, got a string ("a")',
    ]);
  });

  it('rejects something that is not a mapping', () => {
    expect(problemsOf(() => validateDagDefinition([]))).toEqual([
      'expected a mapping with "type" and "tasks", got a list',
    ]);
  });

  it('rejects an empty task list', () => {
    expect(problemsOf(() => validateDagDefinition({ type: 'x', tasks: [] }))).toEqual([
      'tasks: a DAG needs at least one task',
    ]);
  });

  it('names bad field values with the field and the rule', () => {
    const problems = problemsOf(() =>
      validateDagDefinition({
        type: 'has space',
        tasks: [
          {
            id: 'a.b',
            type: 'Echo',
            retry: { maxAttempts: 21, backoffMs: -1 },
            timeoutMs: '60s',
            constraints: { labels: { 'a b': 'x', zone: 'a,b' }, minPluginVersion: 1.2 },
          },
          { id: 'c', type: 'echo', after: 'a', retry: { maxAttempts: 1.5 }, timeoutMs: 0 },
          { id: 'd', type: 'echo', constraints: { minPluginVersion: '1.2' } },
        ],
      }),
    );
    const identifierRule = 'must start with a letter and hold only letters, digits, "_" and "-" (64 at most)';
    expect(problems).toEqual([
      `type: ${identifierRule}`,
      `task "a.b": id: ${identifierRule}`,
      'task "a.b": type: expected a lower-case name such as echo or job-submission',
      'task "a.b": retry.maxAttempts: must be a whole number from 1 to 20',
      'task "a.b": retry.backoffMs: must be a whole number from 0 to 86400000',
      'task "a.b": timeoutMs: expected a number, got a string ("60s")',
      'task "a.b": constraints.labels["a b"]: label names hold letters, digits, "_", ".", "/" and "-" (64 at most)',
      'task "a.b": constraints.labels.zone: label values cannot contain "=" or "," (256 characters at most)',
      'task "a.b": constraints.minPluginVersion: expected a string, got number 1.2 (quote it in YAML)',
      'task "c": after: expected a list, got a string ("a")',
      'task "c": retry.maxAttempts: expected a whole number, got number 1.5',
      'task "c": missing required field "retry.backoffMs"',
      'task "c": timeoutMs: must be a whole number from 1 to 604800000',
      'task "d": constraints.minPluginVersion: expected a version such as 1.2.0',
    ]);
  });

  it('names params that are not JSON, with their path', () => {
    const problems = problemsOf(() =>
      validateDagDefinition(
        withTasks(
          {
            id: 'a',
            type: 'echo',
            params: { list: [1, Number.NaN], when: new Date(0), nested: { f: () => 1 } },
          },
          { id: 'b', type: 'echo', params: ['x'] },
        ),
      ),
    );
    expect(problems).toEqual([
      'task "a": params.list[1]: not a finite number (NaN)',
      'task "a": params.when: not a JSON value (Date)',
      'task "a": params.nested.f: not a JSON value (function)',
      'task "b": params: must be a mapping of parameter names to values',
    ]);
  });

  it('rejects params that contain themselves without recursing forever', () => {
    const params: Record<string, unknown> = { a: 1 };
    params['self'] = params;
    expect(problemsOf(() => validateDagDefinition(withTasks({ id: 'a', type: 'echo', params })))).toEqual([
      'task "a": params.self: contains itself (a circular reference)',
    ]);
  });

  it('names duplicate task ids with their positions', () => {
    const problems = problemsOf(() =>
      validateDagDefinition(
        withTasks(
          { id: 'a', type: 'echo' },
          { id: 'b', type: 'echo' },
          { id: 'a', type: 'echo' },
          { id: 'a', type: 'x' },
        ),
      ),
    );
    expect(problems).toEqual(['duplicate task id "a" (tasks #1, #3 and #4)']);
  });

  it('names a dependency on an unknown task, naming both tasks', () => {
    const problems = problemsOf(() =>
      validateDagDefinition(
        withTasks({ id: 'a', type: 'echo' }, { id: 'b', type: 'echo', after: ['a', 'x'] }),
      ),
    );
    expect(problems).toEqual(['task "b": after refers to unknown task "x"']);
  });

  it('names a self-dependency and a repeated dependency', () => {
    const problems = problemsOf(() =>
      validateDagDefinition(
        withTasks({ id: 'a', type: 'echo' }, { id: 'b', type: 'echo', after: ['b', 'a', 'a'] }),
      ),
    );
    expect(problems).toEqual([
      'task "b" depends on itself (after: [b])',
      'task "b": after lists "a" more than once',
    ]);
  });

  it('names a cycle, starting from the task listed first', () => {
    const problems = problemsOf(() =>
      validateDagDefinition(
        withTasks(
          { id: 'root', type: 'echo' },
          { id: 'a', type: 'echo', after: ['root', 'c'] },
          { id: 'b', type: 'echo', after: ['a'] },
          { id: 'c', type: 'echo', after: ['b'] },
        ),
      ),
    );
    expect(problems).toEqual(['cycle: a -> b -> c -> a']);
  });

  it('names every separate cycle, and the shortest cycle through each start', () => {
    const problems = problemsOf(() =>
      validateDagDefinition(
        withTasks(
          { id: 'p', type: 'echo', after: ['q'] },
          { id: 'q', type: 'echo', after: ['p'] },
          { id: 'x', type: 'echo', after: ['z', 'y'] },
          { id: 'y', type: 'echo', after: ['x'] },
          { id: 'z', type: 'echo', after: ['y'] },
        ),
      ),
    );
    expect(problems).toEqual(['cycle: p -> q -> p', 'cycle: x -> y -> x']);
  });

  it('names templates that use outputs of a task that is not upstream', () => {
    const problems = problemsOf(() =>
      validateDagDefinition(
        withTasks(
          { id: 'a', type: 'echo' },
          { id: 'b', type: 'echo', after: ['a'] },
          { id: 'c', type: 'echo', after: ['a'], params: { x: 'from {{tasks.b.outputs.y}}' } },
        ),
      ),
    );
    expect(problems).toEqual([
      'task "c": params.x: {{tasks.b.outputs.y}} uses outputs of task "b", which is not upstream of "c"; ' +
        'add "b" to its after (directly or through another task)',
    ]);
  });

  it('names templates that refer to unknown tasks, to the task itself, or follow neither form', () => {
    const problems = problemsOf(() =>
      validateDagDefinition(
        withTasks({
          id: 'a',
          type: 'echo',
          params: {
            list: ['{{tasks.ghost.outputs.y}}', '{{tasks.a.outputs.y}}'],
            text: 'hi {{input.name}} {{ .Values.kept }} {{ a | b }}',
          },
        }),
      ),
    );
    expect(problems).toEqual([
      'task "a": params.list[0]: {{tasks.ghost.outputs.y}} refers to unknown task "ghost"',
      `task "a": params.list[1]: {{tasks.a.outputs.y}} refers to the task's own outputs, which do not exist before it runs`,
      'task "a": params.text: {{input.name}} is not a valid template; write {{inputs.<name>}} or {{tasks.<id>.outputs.<key>}}',
    ]);
  });

  it('reports every problem at once, shape and graph alike, in one DagValidationError', () => {
    let caught: unknown;
    try {
      validateDagDefinition({
        type: 'mixed',
        tasks: [
          { id: 'a', type: 'echo', after: ['b'], retries: 1 },
          { id: 'b', type: 'echo', after: ['a', 'nope'] },
        ],
      });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(DagValidationError);
    expect(caught).toBeInstanceOf(WlmError);
    const error = caught as DagValidationError;
    expect(error.code).toBe('DAG_INVALID');
    expect(error.retryable).toBe(false);
    expect(error.dagType).toBe('mixed');
    expect(error.problems).toEqual([
      'task "a": unknown field "retries"',
      'task "b": after refers to unknown task "nope"',
      'cycle: a -> b -> a',
    ]);
    expect(error.message).toBe(
      'invalid DAG definition "mixed": task "a": unknown field "retries"; ' +
        'task "b": after refers to unknown task "nope"; cycle: a -> b -> a',
    );
  });

  it('keeps the message short when there are many problems, but lists them all in problems', () => {
    const tasks = Array.from({ length: 25 }, (_, index) => ({ id: `t${index}`, type: 'echo', extra: 1 }));
    let caught: unknown;
    try {
      validateDagDefinition({ type: 'many', tasks });
    } catch (error) {
      caught = error;
    }
    const error = caught as DagValidationError;
    expect(error.problems).toHaveLength(25);
    expect(error.message).toMatch(/task "t19": unknown field "extra"; and 5 more$/);
  });
});
