import { isIPv6 } from 'node:net';
import { z } from 'zod';
import type { JsonValue } from '../wire/json';

/**
 * What an experiment input may be, as a DAG declares it (`inputs: {user: {shape: user}}`). Inputs
 * reach hosts, users, ports and paths of the commands tasks run, so each shape keeps a value to
 * what its kind of field needs and nothing a program could read as an option or a way out of a
 * directory. `text` and `json` accept anything: the DAG's author says the input is free text (a
 * message, a command the submitter may choose) and takes care where it goes.
 */
export const INPUT_SHAPES = ['host', 'user', 'port', 'path', 'name', 'text', 'json'] as const;
export type InputShape = (typeof INPUT_SHAPES)[number];

/** One declared input of a DAG. */
export const inputDeclarationSchema = z.strictObject({
  shape: z.enum(INPUT_SHAPES, { error: `must be one of ${INPUT_SHAPES.join(', ')}` }),
  description: z.string().max(1000, 'must be 1,000 characters at most').optional(),
});
export type InputDeclaration = z.infer<typeof inputDeclarationSchema>;

/** An input that does not fit its shape. */
export interface InputShapeProblem {
  /** `inputs.<name>`, or a path below it for the default rule (`inputs.files[2]`). */
  readonly field: string;
  /** The shape broken, or `default` for an undeclared input. */
  readonly rule: InputShape | 'default';
  /** Names the field, quotes the value (cut short) and states the rule. */
  readonly message: string;
}

const HOST_LABEL = '[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?';
const HOST_NAME = new RegExp(`^(?=.{1,253}$)${HOST_LABEL}(?:\\.${HOST_LABEL})*$`);
const USER = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/;
const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
/** Letters, digits and `. _ - / + @ % = : ,`: no spaces, quotes, `$`, `;` or other shell syntax. */
const PATH_CHARACTERS = /^[A-Za-z0-9._/+@%=:,-]{1,4096}$/;
const DOT_DOT_SEGMENT = /(^|\/)\.\.(\/|$)/;

const RULES: Record<
  Exclude<InputShape, 'text' | 'json'>,
  { test: (value: JsonValue) => boolean; rule: string }
> = {
  host: {
    test: (value) => typeof value === 'string' && (HOST_NAME.test(value) || isIPv6(value)),
    rule: 'a host name or IP address (letters, digits, "-" inside labels, "."; IPv6 without brackets)',
  },
  user: {
    test: (value) => typeof value === 'string' && USER.test(value),
    rule: 'a user name (letters, digits, "_", "." and "-", not starting with "-"; 64 at most)',
  },
  port: {
    test: (value) => {
      const port = typeof value === 'string' && /^\d{1,5}$/.test(value) ? Number(value) : value;
      return typeof port === 'number' && Number.isInteger(port) && port >= 1 && port <= 65535;
    },
    rule: 'a port number from 1 to 65535',
  },
  path: {
    test: (value) =>
      typeof value === 'string' &&
      PATH_CHARACTERS.test(value) &&
      !value.startsWith('-') &&
      !DOT_DOT_SEGMENT.test(value),
    rule: 'a path of letters, digits and ". _ - / + @ % = : ," with no ".." segment, not starting with "-"',
  },
  name: {
    test: (value) => typeof value === 'string' && NAME.test(value),
    rule: 'a name of letters, digits, "_", "." and "-", starting with a letter or digit',
  },
};

/** The rule of undeclared inputs: any JSON, but no string in it that could pass for an option or climb out of a directory. */
const DEFAULT_RULE =
  'no string of an undeclared input may start with "-", hold a ".." path segment or a NUL character ' +
  '(declare the input in the DAG\'s "inputs", e.g. {shape: text}, to accept it)';

function quoted(value: JsonValue): string {
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}…` : text;
}

function isUnsafeString(value: string): boolean {
  return value.startsWith('-') || DOT_DOT_SEGMENT.test(value) || value.includes('\0');
}

/** The strings of an undeclared input that break the default rule, with their paths. */
function defaultRuleProblems(value: JsonValue, field: string): InputShapeProblem[] {
  if (typeof value === 'string') {
    return isUnsafeString(value)
      ? [{ field, rule: 'default', message: `${field}: ${quoted(value)} is refused: ${DEFAULT_RULE}` }]
      : [];
  }
  if (Array.isArray(value))
    return value.flatMap((item, index) => defaultRuleProblems(item, `${field}[${index}]`));
  if (typeof value === 'object' && value !== null) {
    return Object.entries(value).flatMap(([key, child]) => defaultRuleProblems(child, `${field}.${key}`));
  }
  return [];
}

/**
 * Every input of `inputs` that does not fit its declared shape, or — undeclared — the default rule.
 * Checked when an experiment is submitted, before anything is stored.
 *
 * @example
 * ```ts
 * inputShapeProblems({ user: { shape: 'user' } }, { user: '-oProxyCommand=touch /tmp/x' });
 * // [{ field: 'inputs.user', rule: 'user', message: 'inputs.user: "-oProxyCommand=touch /tmp/x" is not a user name (…)' }]
 * ```
 */
export function inputShapeProblems(
  declared: Readonly<Record<string, InputDeclaration>> | undefined,
  inputs: Readonly<Record<string, JsonValue>>,
): InputShapeProblem[] {
  return Object.entries(inputs).flatMap(([name, value]): InputShapeProblem[] => {
    const field = `inputs.${name}`;
    const shape = declared !== undefined && Object.hasOwn(declared, name) ? declared[name]?.shape : undefined;
    if (shape === undefined) return defaultRuleProblems(value, field);
    if (shape === 'text') {
      return typeof value === 'string'
        ? []
        : [{ field, rule: shape, message: `${field}: ${quoted(value)} is not text (a string)` }];
    }
    if (shape === 'json') return [];
    const { test, rule } = RULES[shape];
    return test(value) ? [] : [{ field, rule: shape, message: `${field}: ${quoted(value)} is not ${rule}` }];
  });
}
