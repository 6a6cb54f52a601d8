import { WlmError } from './wlm-error';

/** How many problems the message spells out; `problems` always holds all of them. */
const MESSAGE_PROBLEM_LIMIT = 20;

/**
 * A DAG definition was rejected. `problems` lists every problem found, each naming the task and the
 * field or dependency at fault (`task "c": unknown field "retries"`, `cycle: a -> b -> a`), so the
 * CLI and the REST API can show them one per line.
 */
export class DagValidationError extends WlmError {
  override readonly name = 'DagValidationError';

  constructor(
    readonly problems: readonly string[],
    /** The experiment type of the definition, when it could be read. */
    readonly dagType?: string,
  ) {
    super('DAG_INVALID', describe(problems, dagType));
  }
}

function describe(problems: readonly string[], dagType: string | undefined): string {
  const subject = dagType === undefined ? 'DAG definition' : `DAG definition ${JSON.stringify(dagType)}`;
  const shown = problems.slice(0, MESSAGE_PROBLEM_LIMIT);
  const more = problems.length - shown.length;
  const tail = more > 0 ? `; and ${more} more` : '';
  return `invalid ${subject}: ${shown.join('; ')}${tail}`;
}
