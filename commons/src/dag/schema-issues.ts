import type { z } from 'zod';
import { formatIssuePath } from '../wire/issue-path';

type Path = readonly PropertyKey[];

function valueAt(input: unknown, path: Path): unknown {
  let node = input;
  for (const key of path) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<PropertyKey, unknown>)[key];
  }
  return node;
}

/**
 * How a problem inside `tasks` names its task: by id when the task has a string id, else by
 * position (1-based, as a person counts), never as a zod path such as `tasks.2`.
 */
export function taskLabel(input: unknown, index: number): string {
  const id = valueAt(input, ['tasks', index, 'id']);
  return typeof id === 'string' && id !== '' ? `task ${JSON.stringify(id)}` : `task #${index + 1}`;
}

const KIND_NAMES: Readonly<Record<string, string>> = {
  object: 'a mapping',
  array: 'a list',
  record: 'a mapping',
  string: 'a string',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
};

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return `a string (${JSON.stringify(value)})`;
  if (typeof value === 'number' || typeof value === 'boolean') return `${typeof value} ${String(value)}`;
  return `a ${typeof value}`;
}

function describeIssue(issue: z.core.$ZodIssue, input: unknown): string[] {
  const { path } = issue;
  const inTask = path[0] === 'tasks' && typeof path[1] === 'number';
  const prefix = inTask ? `${taskLabel(input, path[1] as number)}: ` : '';
  const fieldPath = inTask ? path.slice(2) : path;
  const field = formatIssuePath(fieldPath);

  switch (issue.code) {
    case 'unrecognized_keys':
      return issue.keys.map(
        (key) => `${prefix}unknown field ${JSON.stringify(key)}${field === '' ? '' : ` in ${field}`}`,
      );
    case 'invalid_type': {
      const value = valueAt(input, path);
      if (value === undefined && field !== '') {
        return [`${prefix}missing required field ${JSON.stringify(field)}`];
      }
      const expected = KIND_NAMES[issue.expected] ?? issue.expected;
      if (path.length === 0) {
        return [`expected a mapping with "type" and "tasks", got ${describeValue(value)}`];
      }
      // YAML reads an unquoted 1.2 or yes as a number or boolean; say how to get a string.
      const hint =
        issue.expected === 'string' && (typeof value === 'number' || typeof value === 'boolean')
          ? ' (quote it in YAML)'
          : '';
      return [
        `${prefix}${field === '' ? '' : `${field}: `}expected ${expected}, got ${describeValue(value)}${hint}`,
      ];
    }
    case 'invalid_key': {
      // A record key failed its own schema: name the key, then why.
      const reason = issue.issues[0]?.message ?? issue.message;
      return [`${prefix}${field}: ${reason}`];
    }
    default:
      return [`${prefix}${field === '' ? '' : `${field}: `}${issue.message}`];
  }
}

/** Turns zod's issues into the problems a person reads, each naming its task and field. */
export function describeSchemaIssues(issues: readonly z.core.$ZodIssue[], input: unknown): string[] {
  return issues.flatMap((issue) => describeIssue(issue, input));
}
