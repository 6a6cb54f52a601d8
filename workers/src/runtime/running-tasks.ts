import { cancelApplies } from '@wlm/commons/control';
import { TaskAbort } from '@wlm/commons/plugin';
import { LineTail } from '@wlm/commons/text';
import { TASK_LOG_TAIL } from '@wlm/commons/wire';
import type { CancelTask, TaskAssignment } from '@wlm/commons/wire';

/** How the delivery of a run was settled: its terminal event published, or handed back to the queue. */
export type RunSettlement = 'finished' | 'handed-back';

/** Why a run is being stopped early. */
export type StopReason = { kind: 'cancel'; reason: string } | { kind: 'shutdown' };

/** One assignment being run by this worker. */
export interface RunningTask {
  readonly assignment: TaskAssignment;
  /** Aborting it stops the task process (the runner sends cancel, then kills after a grace period). */
  readonly signal: AbortSignal;
  /** Set once the run is being stopped; decides between a CANCELLED event and a hand-back. */
  readonly stopReason: StopReason | undefined;
  /** Settles when the run's delivery is settled; a redelivery of the same assignment waits on it. */
  readonly settled: Promise<RunSettlement>;
  /** What the task logged and printed, bounded as the wire's `TASK_LOG_TAIL`; shipped with its events. */
  readonly logs: LineTail;
}

interface Entry extends RunningTask {
  stopReason: StopReason | undefined;
  readonly controller: AbortController;
  readonly settle: (how: RunSettlement) => void;
}

/** The worker's runs in progress, by assignment id. */
export class RunningTasks {
  private readonly entries = new Map<string, Entry>();

  get size(): number {
    return this.entries.size;
  }

  get(assignmentId: string): RunningTask | undefined {
    return this.entries.get(assignmentId);
  }

  /** Registers a run; call {@link end} exactly once when its delivery is settled. */
  add(assignment: TaskAssignment): RunningTask {
    const controller = new AbortController();
    let settle: (how: RunSettlement) => void = () => undefined;
    const settled = new Promise<RunSettlement>((resolve) => {
      settle = resolve;
    });
    const entry: Entry = {
      assignment,
      controller,
      signal: controller.signal,
      stopReason: undefined,
      settled,
      settle,
      logs: new LineTail(TASK_LOG_TAIL.maxLines, TASK_LOG_TAIL.maxBytes),
    };
    this.entries.set(assignment.assignmentId, entry);
    return entry;
  }

  end(assignmentId: string, how: RunSettlement): void {
    const entry = this.entries.get(assignmentId);
    if (entry === undefined) return;
    this.entries.delete(assignmentId);
    entry.settle(how);
  }

  /** Stops every run that `cancel` applies to; returns them. */
  cancelMatching(cancel: CancelTask): RunningTask[] {
    const reason = cancel.reason ?? 'cancelled';
    const matching = [...this.entries.values()].filter((entry) => cancelApplies(cancel, entry.assignment));
    for (const entry of matching) this.stop(entry, { kind: 'cancel', reason });
    return matching;
  }

  /** Stops every run so that its assignment goes back to the queue (a shutdown that cannot wait). */
  stopAll(): RunningTask[] {
    const all = [...this.entries.values()];
    for (const entry of all) this.stop(entry, { kind: 'shutdown' });
    return all;
  }

  private stop(entry: Entry, reason: StopReason): void {
    // The first reason wins: a cancelled run stays cancelled even if a shutdown follows.
    if (entry.stopReason !== undefined) return;
    entry.stopReason = reason;
    entry.controller.abort(
      reason.kind === 'cancel'
        ? new TaskAbort('cancel', reason.reason)
        : new TaskAbort('shutdown', 'the worker is shutting down'),
    );
  }
}
