import { DagValidationError } from '../errors/dag-validation-error';
import { crossTaskProblems } from './dag-rules';
import { dagDefinitionSchema } from './dag-schema';
import type { DagDefinition } from './dag-schema';
import { describeSchemaIssues } from './schema-issues';
import { wireLimitProblems } from './wire-limits';

function declaredType(input: unknown): string | undefined {
  if (typeof input !== 'object' || input === null) return undefined;
  const { type } = input as { type?: unknown };
  return typeof type === 'string' ? type : undefined;
}

/**
 * Validates an already-parsed DAG definition (e.g. the JSON body of `PUT /api/dags/:type`).
 * Field shapes, the rules across tasks and the wire's limits on each task's params (a definition
 * accepted here must never produce a request the wire refuses) are all checked on every call, so one
 * error reports every problem at once rather than one per attempt.
 *
 * @throws {@link DagValidationError} listing every problem, each naming its task and field.
 * @example
 * ```ts
 * const dag = validateDagDefinition({
 *   type: 'pair',
 *   tasks: [{ id: 'a', type: 'echo' }, { id: 'b', type: 'echo', after: ['a'] }],
 * });
 * ```
 */
export function validateDagDefinition(input: unknown): DagDefinition {
  const result = dagDefinitionSchema.safeParse(input);
  const problems = [
    ...(result.success ? [] : describeSchemaIssues(result.error.issues, input)),
    ...crossTaskProblems(input),
    ...wireLimitProblems(input),
  ];
  if (!result.success || problems.length > 0) {
    throw new DagValidationError(problems, declaredType(input));
  }
  return result.data;
}
