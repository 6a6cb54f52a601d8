import { LineCounter, parseDocument } from 'yaml';
import { DagValidationError } from '../errors/dag-validation-error';
import type { DagDefinition } from './dag-schema';
import { jsonErrorOffset } from './json-error-position';
import { validateDagDefinition } from './validate-dag';

/** How to read the text of a DAG definition. */
export interface ParseDagOptions {
  /**
   * `yaml` (the default) also reads JSON, since YAML 1.2 is a superset of it; `json` insists on
   * strict JSON, as the REST API's content type promises.
   */
  format?: 'yaml' | 'json';
}

function parseYamlText(text: string): unknown {
  const lineCounter = new LineCounter();
  // prettyErrors off: we place errors ourselves, without yaml's multi-line source excerpts.
  const document = parseDocument(text, { lineCounter, prettyErrors: false });
  if (document.errors.length > 0) {
    const problems = document.errors.map((error) => {
      const { line, col } = lineCounter.linePos(error.pos[0]);
      return `YAML syntax error at line ${line}, column ${col}: ${error.message}`;
    });
    throw new DagValidationError(problems);
  }
  try {
    return document.toJS();
  } catch (error) {
    // toJS refuses alias bombs (a few lines expanding to gigabytes) rather than running out of memory.
    const reason = error instanceof Error ? error.message : String(error);
    throw new DagValidationError([`YAML cannot be read: ${reason}`]);
  }
}

function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const lineStart = before.lastIndexOf('\n') + 1;
  return { line: before.split('\n').length, column: offset - lineStart + 1 };
}

function parseJsonText(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    // Keep V8's reason but drop its position and excerpt; the line and column come from our scanner.
    const reason = message
      .replace(/\s*in JSON at position \d+.*$/s, '')
      .replace(/^(Unexpected token '.+?'),.*is not valid JSON$/s, '$1');
    const { line, column } = lineAndColumn(text, jsonErrorOffset(text) ?? text.length);
    throw new DagValidationError([`JSON syntax error at line ${line}, column ${column}: ${reason}`]);
  }
}

/**
 * Parses and validates the text of a DAG definition (`wlm dag put file.yaml`).
 *
 * @throws {@link DagValidationError} naming every problem: a syntax error with its line, or each
 *   bad field, duplicate id, unknown or self dependency, cycle (`cycle: a -> b -> a`) and template
 *   that names a task which is not upstream.
 * @example
 * ```ts
 * const dag = parseDagDefinition(`
 * type: diamond
 * tasks:
 *   - { id: a, type: echo }
 *   - { id: b, type: echo, after: [a] }
 *   - { id: c, type: echo, after: [a] }
 *   - { id: d, type: echo, after: [b, c] }
 * `);
 * topologicalOrder(dag); // ['a', 'b', 'c', 'd']
 * ```
 */
export function parseDagDefinition(text: string, options: ParseDagOptions = {}): DagDefinition {
  const input = options.format === 'json' ? parseJsonText(text) : parseYamlText(text);
  if (input === null || input === undefined) {
    throw new DagValidationError(['the definition is empty; expected a mapping with "type" and "tasks"']);
  }
  return validateDagDefinition(input);
}
