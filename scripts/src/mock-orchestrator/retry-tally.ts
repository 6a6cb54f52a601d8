interface TaskAttempts {
  /** The highest attempt that had an event of its own. */
  observed: number;
  /** The attempt a retryable failure announced (the failed attempt + 1); 0 once the task failed for good. */
  announced: number;
}

/**
 * Counts retries — runs of a task after its first — once each, whichever events reveal them and
 * however often they are delivered. Attempts are numbered 1, 2, 3 …, so a task that reached attempt N
 * was retried N - 1 times: an event of attempt N shows it reached N, and a retryable FAILED of attempt
 * N announces N + 1 before any event of it arrives. An announced attempt that never happens (the
 * scheduler gave up: the task failed for good) stops counting.
 */
export class RetryTally {
  private readonly tasks = new Map<string, TaskAttempts>();
  private total = 0;

  /** Retries known so far. */
  get count(): number {
    return this.total;
  }

  /** An event of `attempt` of `taskKey` arrived. */
  observe(taskKey: string, attempt: number): void {
    if (attempt <= 1) return;
    this.update(taskKey, (task) => {
      task.observed = Math.max(task.observed, attempt);
    });
  }

  /** `attempt` of `taskKey` failed retryably, so attempt + 1 is on its way. */
  announceNext(taskKey: string, attempt: number): void {
    this.update(taskKey, (task) => {
      task.announced = Math.max(task.announced, attempt + 1);
    });
  }

  /** `taskKey` failed for good: an attempt announced but never seen will not happen. */
  settleFailure(taskKey: string): void {
    if (!this.tasks.has(taskKey)) return;
    this.update(taskKey, (task) => {
      task.announced = 0;
    });
  }

  private update(taskKey: string, change: (task: TaskAttempts) => void): void {
    let task = this.tasks.get(taskKey);
    if (task === undefined) {
      task = { observed: 1, announced: 0 };
      this.tasks.set(taskKey, task);
    }
    const before = retriesOf(task);
    change(task);
    this.total += retriesOf(task) - before;
  }
}

function retriesOf(task: TaskAttempts): number {
  return Math.max(task.observed, task.announced, 1) - 1;
}
