import type { EventEmitter } from 'node:events';
import { MAX_INCIDENT_TASKS } from '@wlm/commons/wire';
import type { Logger } from '@wlm/commons/logging';
import type { IncidentTask } from '@wlm/commons/wire';
import type { IncidentReport, IncidentReporter } from '../alerts';
import type { WorkerFailedInfo, WorkerRecoveredInfo, WorkerRegistry, WorkerView } from '../registry';
import type { SchedulerServiceEvents } from './service-events';
import type { DrainResult, WorkerQueueDrainer } from './worker-queue-drainer';

export interface WorkerFailureHandlerOptions {
  readonly registry: WorkerRegistry;
  readonly drainer: WorkerQueueDrainer;
  /** Absent when this instance does not report incidents. */
  readonly reporter: IncidentReporter | undefined;
  readonly events: EventEmitter<SchedulerServiceEvents>;
  readonly logger: Logger;
  /** How often a lost worker's queue is checked again for assignments coming back. */
  readonly recheckMs: number;
  /**
   * For how long after the loss. The assignments a dead worker was running return to its queue
   * only when the broker notices the dead connection: at once when the process died (its TCP
   * connection is reset), after two missed heartbeats (~30 s with the default 15 s) when its host
   * vanished — hence a window well past that.
   */
  readonly windowMs: number;
}

/** What is known of one lost (or unreachable) worker. */
interface Loss {
  readonly worker: WorkerView;
  /** Why it counts as lost; `broker` may turn into `serf` when Serf confirms it. */
  failure: WorkerFailedInfo | undefined;
  /** Whether an incident was reported for it (so later moves and its return are reported too). */
  reported: boolean;
  /** Tasks moved off it and not reported yet. */
  unreported: IncidentTask[];
  unreportedCount: number;
  timer: NodeJS.Timeout | undefined;
  until: number;
  /** Whether the worker is known to be gone (Serf failed or left): then everything it held moves. */
  gone: boolean;
}

/**
 * Moves a lost worker's work elsewhere. On a failure, a departure, or its queue losing its consumer,
 * the worker's queue is drained at once and then re-checked for a while, since the assignment it was
 * running comes back only when the broker notices its connection is gone.
 *
 * Incidents: a Serf failure is always reported for the admin mail (with the tasks moved); a lost
 * consumer only once it cost tasks — a worker shutting down also stops consuming, and that is no
 * news. A departure is never reported. A return is reported when the loss was.
 */
export class WorkerFailureHandler {
  private readonly losses = new Map<string, Loss>();
  /** One drain per worker at a time: passes of the same queue must not interleave. */
  private readonly draining = new Map<string, Promise<DrainResult | undefined>>();
  private readonly log: Logger;
  private stopped = false;
  private readonly onFailed = (worker: WorkerView, info: WorkerFailedInfo): void =>
    void this.handleLoss(worker, info);
  private readonly onUnreachable = (worker: WorkerView): void =>
    void this.handleLoss(worker, { source: 'broker', at: new Date() });
  private readonly onLeft = (worker: WorkerView): void => void this.handleLoss(worker, undefined);
  private readonly onRecovered = (worker: WorkerView, info: WorkerRecoveredInfo): void =>
    void this.handleReturn(worker, info.at);
  private readonly onReachable = (worker: WorkerView): void => void this.handleReturn(worker, new Date());

  constructor(private readonly options: WorkerFailureHandlerOptions) {
    this.log = options.logger.child({ module: 'worker-failures' });
  }

  start(): void {
    const { registry } = this.options;
    registry.on('worker:failed', this.onFailed);
    registry.on('worker:unreachable', this.onUnreachable);
    registry.on('worker:left', this.onLeft);
    registry.on('worker:recovered', this.onRecovered);
    registry.on('worker:reachable', this.onReachable);
  }

  /** Stops watching and waits for drains in progress. Idempotent. */
  async stop(): Promise<void> {
    this.stopped = true;
    const { registry } = this.options;
    registry.off('worker:failed', this.onFailed);
    registry.off('worker:unreachable', this.onUnreachable);
    registry.off('worker:left', this.onLeft);
    registry.off('worker:recovered', this.onRecovered);
    registry.off('worker:reachable', this.onReachable);
    for (const loss of this.losses.values()) clearInterval(loss.timer);
    this.losses.clear();
    await Promise.allSettled(this.draining.values());
  }

  /** Lost workers whose queues are still watched. */
  get watching(): number {
    return [...this.losses.values()].filter((loss) => loss.timer !== undefined).length;
  }

  private async handleLoss(worker: WorkerView, failure: WorkerFailedInfo | undefined): Promise<void> {
    const loss = this.lossOf(worker);
    // Serf confirming what the broker suggested is the same incident, now certain.
    if (failure !== undefined && loss.failure?.source !== 'serf') loss.failure = failure;
    // Gone for certain once Serf says so (failed, or left); the broker alone only says unreachable.
    loss.gone ||= failure === undefined || failure.source !== 'broker';
    await this.drainOnce(loss);
    await this.reportIfDue(loss);
    this.watch(loss);
  }

  private async handleReturn(worker: WorkerView, at: Date): Promise<void> {
    // A loss still being handled (a restarted worker: its predecessor's failure and its return are
    // seen at once) is reported first, so its return is reported too.
    await this.draining.get(worker.workerId);
    const loss = this.losses.get(worker.workerId);
    this.unwatch(worker.workerId);
    this.losses.delete(worker.workerId);
    if (loss?.reported !== true || loss.failure === undefined) return;
    await this.report({
      type: 'WORKER_RECOVERED',
      workerId: worker.workerId,
      address: worker.address,
      source: loss.failure.source,
      detectedAt: at,
    });
  }

  private lossOf(worker: WorkerView): Loss {
    let loss = this.losses.get(worker.workerId);
    if (loss === undefined) {
      loss = {
        worker,
        failure: undefined,
        reported: false,
        unreported: [],
        unreportedCount: 0,
        timer: undefined,
        until: 0,
        gone: false,
      };
      this.losses.set(worker.workerId, loss);
    }
    return loss;
  }

  /** Reports what is due: a Serf failure at once, a broker loss or a later move once tasks moved. */
  private async reportIfDue(loss: Loss): Promise<void> {
    const { failure } = loss;
    if (failure === undefined) return;
    const moved = loss.unreportedCount > 0;
    // A worker already dead when this instance started was dealt with by whoever saw it die,
    // unless its work is still here; a mail for it would then be news.
    const due = moved || (!loss.reported && failure.source === 'serf');
    if (!due) return;
    const tasks = loss.unreported;
    const taskCount = loss.unreportedCount;
    loss.unreported = [];
    loss.unreportedCount = 0;
    loss.reported = true;
    await this.report({
      type: 'WORKER_FAILED',
      workerId: loss.worker.workerId,
      address: loss.worker.address,
      source: failure.source,
      detectedAt: failure.at,
      tasks,
      taskCount,
    });
  }

  private watch(loss: Loss): void {
    const { workerId } = loss.worker;
    if (this.stopped || this.options.registry.isServing(workerId)) return;
    clearInterval(loss.timer);
    loss.until = Date.now() + this.options.windowMs;
    loss.timer = setInterval(() => void this.recheck(loss), this.options.recheckMs);
    loss.timer.unref();
  }

  private unwatch(workerId: string): void {
    const loss = this.losses.get(workerId);
    clearInterval(loss?.timer);
    if (loss !== undefined) loss.timer = undefined;
  }

  private async recheck(loss: Loss): Promise<void> {
    const { workerId } = loss.worker;
    if (this.stopped || Date.now() > loss.until || this.options.registry.isServing(workerId)) {
      this.unwatch(workerId);
      // Kept while reported, so its return is reported too; otherwise there is nothing left to do.
      if (!loss.reported) this.losses.delete(workerId);
      return;
    }
    if (this.draining.has(workerId) || (await this.options.drainer.needsDraining(workerId)) !== true) return;
    await this.drainOnce(loss);
    await this.reportIfDue(loss);
  }

  private drainOnce(loss: Loss): Promise<DrainResult | undefined> {
    const { workerId } = loss.worker;
    const running = this.draining.get(workerId);
    if (running !== undefined) return running.then(() => this.drainOnce(loss));
    const drain = this.options.drainer
      .drain(workerId, loss.gone)
      .then((result) => {
        if (result.count > 0) this.recordMoved(workerId, result);
        return result;
      })
      .catch((error: unknown) => {
        // The unconfirmed ones went back to the queue; the next re-check moves them.
        this.log.error({ err: error, workerId }, 'draining a lost worker queue failed; will retry');
        return undefined;
      })
      .finally(() => this.draining.delete(workerId));
    this.draining.set(workerId, drain);
    return drain;
  }

  private recordMoved(workerId: string, result: DrainResult): void {
    const loss = this.losses.get(workerId);
    if (loss !== undefined) {
      const room = MAX_INCIDENT_TASKS - loss.unreported.length;
      loss.unreported.push(...result.tasks.slice(0, Math.max(0, room)));
      loss.unreportedCount += result.count;
    }
    this.options.events.emit('worker:drained', { workerId, tasks: result.tasks });
  }

  private async report(report: IncidentReport): Promise<void> {
    if (this.options.reporter === undefined) return;
    try {
      await this.options.reporter.report(report);
    } catch (error) {
      this.log.error(
        { err: error, workerId: report.workerId, type: report.type },
        'cannot report a worker incident',
      );
    }
  }
}
