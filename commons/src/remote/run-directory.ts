/**
 * `<workRoot>/<experimentId>/<run>`: where every task of one run of an experiment works on a
 * compute resource. env-setup creates it, data-staging resolves relative remote paths in it, and
 * job-submission runs jobs in it, so the three agree without passing it around.
 */
export function runDirectory(
  workRoot: string,
  // A task's context fits; the shape is spelled out so that remote/ depends on nothing of plugin/.
  ctx: { readonly experimentId: string; readonly run: number },
): string {
  return `${workRoot.replace(/\/+$/, '')}/${ctx.experimentId}/${ctx.run}`;
}
