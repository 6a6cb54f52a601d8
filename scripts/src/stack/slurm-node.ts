/** A node as `scontrol --oneliner show node NAME` prints it. */
export interface SlurmNodeState {
  /** `IDLE`, `DOWN+NOT_RESPONDING`, `IDLE+DRAIN`, `MIXED`, … as printed. */
  readonly state: string;
  /** Why the node is down or drained; undefined when it gives none. */
  readonly reason: string | undefined;
}

/** What `stack up` does about a node in that state. */
export type NodeReadiness =
  /** It takes jobs (idle, or busy with jobs that survived a restart). */
  | 'ready'
  /** DOWN or DRAIN while its slurmd answers: `scontrol update state=resume` brings it back. */
  | 'resume'
  /** Not registered yet (UNKNOWN), or not responding: its slurmd may still be starting. */
  | 'wait';

/** The node's state and reason from `scontrol --oneliner show node`; undefined when the output has none. */
export function parseNodeState(output: string): SlurmNodeState | undefined {
  const state = /(?:^|\s)State=(\S+)/.exec(output)?.[1];
  if (state === undefined) return undefined;
  // Reason is the last field and may hold spaces; it ends with `[user@time]`, which is not the reason.
  const reason = /(?:^|\s)Reason=(.*?)(?:\s+\[[^\]]*\])?\s*$/.exec(output)?.[1]?.trim();
  return { state, reason: reason === undefined || reason === '' || reason === '(null)' ? undefined : reason };
}

const TAKES_JOBS = new Set(['IDLE', 'MIXED', 'ALLOCATED', 'COMPLETING']);

export function nodeReadiness(state: string): NodeReadiness {
  const [base = '', ...flags] = state.toUpperCase().split('+');
  // sinfo marks a node that does not respond with `*`; scontrol with a NOT_RESPONDING flag.
  if (base.endsWith('*') || flags.includes('NOT_RESPONDING')) return 'wait';
  const name = base.replace(/[*~#!%$@^-]+$/, '');
  if (name === 'DOWN' || name === 'DRAINED' || name === 'DRAINING' || flags.includes('DRAIN'))
    return 'resume';
  if (TAKES_JOBS.has(name) && !flags.some((flag) => flag === 'POWERING_UP' || flag === 'REBOOT_ISSUED')) {
    return 'ready';
  }
  return 'wait';
}
