/**
 * A worker's Serf node name is its id and an incarnation: `<workerId>~<incarnation>`. Each process
 * of a worker is a new node, so a worker restarted under the same `--name` never collides with the
 * member its crashed predecessor left behind (Serf refuses, or ignores for a minute and more, a node
 * that reuses a dead member's name). The incarnation is the process's start time in base 36: a later
 * start of the same worker has a larger one. The worker id itself travels in the tags.
 */
const SEPARATOR = '~';

/** A fresh incarnation: now, in base 36. */
export function newIncarnation(now = Date.now()): string {
  return now.toString(36);
}

/** The Serf node name of one process of a worker. */
export function workerNodeName(workerId: string, incarnation: string): string {
  return `${workerId}${SEPARATOR}${incarnation}`;
}

/**
 * The incarnation of a worker's node name, as a number that orders its processes: 0 for a name
 * without one (a worker on a shared host agent, whose node is named otherwise).
 */
export function incarnationOf(nodeName: string, workerId: string): number {
  const prefix = `${workerId}${SEPARATOR}`;
  if (!nodeName.startsWith(prefix)) return 0;
  const value = Number.parseInt(nodeName.slice(prefix.length), 36);
  return Number.isSafeInteger(value) && value > 0 ? value : 0;
}

/**
 * The user event a crashed worker's agent sends as it goes (payload: its node name). A worker's agent
 * runs under a watchdog that sees the worker process end; the notice tells every scheduler at once
 * that the process is dead — certain knowledge, not the suspicion Serf builds up over seconds.
 */
export const WORKER_DIED_EVENT = 'wlm-worker-died';

/**
 * The user event a worker's process sends once it has joined with its tags set (payload: its node
 * name): schedulers read that member at once instead of waiting for Serf's member-join, which it
 * delivers about a second later (it coalesces member events). A restarted worker gets work sooner.
 */
export const WORKER_UP_EVENT = 'wlm-worker-up';
