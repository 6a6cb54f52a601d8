import type { TaskContext } from '../plugin/task-plugin';

/**
 * `<workRoot>/<experimentId>/<run>`: where every task of one run of an experiment works on a
 * compute resource. env-setup creates it, data-staging resolves relative remote paths in it, and
 * job-submission runs jobs in it, so the three agree without passing it around.
 */
export function runDirectory(
  workRoot: string,
  ctx: Pick<TaskContext<unknown>, 'experimentId' | 'run'>,
): string {
  return `${workRoot.replace(/\/+$/, '')}/${ctx.experimentId}/${ctx.run}`;
}
