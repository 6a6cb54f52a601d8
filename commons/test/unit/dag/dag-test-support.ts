import { DagValidationError } from '@wlm/commons/errors';

/** The problems a DagValidationError lists, or a failure when `run` does not throw one. */
export function problemsOf(run: () => unknown): readonly string[] {
  try {
    run();
  } catch (error) {
    if (error instanceof DagValidationError) return error.problems;
    throw error;
  }
  throw new Error('expected a DagValidationError, but nothing was thrown');
}

/** The diamond of docs/dags.md: a fans out to b and c, which fan in to d. */
export const diamond = {
  type: 'diamond',
  tasks: [
    { id: 'a', type: 'echo' },
    { id: 'b', type: 'echo', after: ['a'] },
    { id: 'c', type: 'echo', after: ['a'] },
    { id: 'd', type: 'echo', after: ['b', 'c'] },
  ],
};
