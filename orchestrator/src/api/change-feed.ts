import { EventEmitter } from 'node:events';
import type { Logger } from '@wlm/commons/logging';
import type { Experiment } from '../domain/records';
import type { StateStore } from '../domain/state-store';

/** What the feed tells its listeners, as the stream's SSE event names. */
export type ChangeFeedEvents = {
  /** An experiment's row changed (state, run, …): its new summary. */
  experiment: [Experiment];
  /** A task run or a task report of the experiment changed: its view is worth reading again. */
  tasks: [{ experimentId: string }];
  /** The worker directory changed. */
  workers: [];
  /** The instance is shutting down: streams end so that the HTTP server can close. */
  closed: [];
};

/**
 * Rows written within this long before a look may still be committing while it reads them (a
 * transaction stamps `updated_at` before it commits), so each look reaches back this far and drops
 * what it already reported.
 */
const OVERLAP_MS = 3_000;

/**
 * What changed in the stores, for the console's live views, found by asking MySQL once per
 * `intervalMs` while anyone listens. Asking the stores rather than following the task events keeps
 * any instance able to serve it: only the leader consumes the events, but every instance reads the
 * stores they are written to. One look serves every listener of the instance.
 */
export class ChangeFeed extends EventEmitter<ChangeFeedEvents> {
  private timer: NodeJS.Timeout | undefined;
  private since: Date | undefined;
  private looking = false;
  /** What was reported last, by key, so the overlap of two looks is not reported twice. */
  private readonly reported = new Map<string, number>();
  private workersAt = 0;

  constructor(
    private readonly states: StateStore,
    private readonly namespace: string,
    private readonly logger: Logger,
    private readonly intervalMs = 1_000,
  ) {
    super();
  }

  /** Starts looking with the first listener; returns the function that stops listening. */
  subscribe(listeners: {
    [K in keyof ChangeFeedEvents]: (...args: ChangeFeedEvents[K]) => void;
  }): () => void {
    for (const name of Object.keys(listeners) as (keyof ChangeFeedEvents)[]) this.on(name, listeners[name]);
    this.timer ??= setInterval(() => void this.look(), this.intervalMs);
    return () => {
      for (const name of Object.keys(listeners) as (keyof ChangeFeedEvents)[])
        this.off(name, listeners[name]);
      if (this.listenerCount('experiment') === 0) this.stop();
    };
  }

  /** Ends every stream and stops looking. */
  close(): void {
    this.emit('closed');
    this.stop();
  }

  private stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.since = undefined;
    this.reported.clear();
  }

  private async look(): Promise<void> {
    if (this.looking) return;
    this.looking = true;
    try {
      const first = this.since === undefined;
      const since = new Date((this.since?.getTime() ?? Date.now()) - OVERLAP_MS);
      const changes = await this.states.listChanges(since, this.namespace);
      this.since = changes.now;
      const floor = changes.now.getTime() - 2 * OVERLAP_MS;
      for (const [key, at] of this.reported) if (at < floor) this.reported.delete(key);
      for (const experiment of changes.experiments) {
        if (this.isNew(`e:${experiment.id}`, experiment.updatedAt) && !first)
          this.emit('experiment', experiment);
      }
      for (const { experimentId, at } of changes.tasks) {
        if (this.isNew(`t:${experimentId}`, at) && !first) this.emit('tasks', { experimentId });
      }
      const workersAt = changes.workersAt?.getTime() ?? 0;
      if (workersAt > this.workersAt) {
        if (!first) this.emit('workers');
        this.workersAt = workersAt;
      }
    } catch (error) {
      this.logger.warn({ err: error }, 'the change feed could not read the stores; it tries again');
    } finally {
      this.looking = false;
    }
  }

  private isNew(key: string, at: Date): boolean {
    const time = at.getTime();
    if ((this.reported.get(key) ?? -1) >= time) return false;
    this.reported.set(key, time);
    return true;
  }
}
