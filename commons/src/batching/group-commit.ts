/** What one item of a group came to. */
export type ItemOutcome<R> = { ok: true; result: R } | { ok: false; error: unknown };

interface Waiting<T, R> {
  item: T;
  resolve: (result: R) => void;
  reject: (error: unknown) => void;
}

export interface GroupCommitOptions {
  /** Groups written at once; a second lets one group's round trips overlap the next one's. */
  groupsInFlight: number;
  /** The most items one group holds. */
  maxGroup: number;
}

/**
 * Group commit: items that arrive while `groupsInFlight` groups are being written wait for one to
 * end and go together as the next group — so concurrent callers share store round trips instead
 * of queueing for the connection pools one by one, and a lone caller waits for nothing. Each item
 * gets its own outcome: `write` answers for each, in order, or fails the whole group by throwing.
 */
export class GroupCommit<T, R> {
  private readonly waiting: Waiting<T, R>[] = [];
  private inFlight = 0;

  constructor(
    private readonly write: (items: readonly T[]) => Promise<ItemOutcome<R>[]>,
    private readonly options: GroupCommitOptions,
  ) {}

  /** Items waiting or being written. */
  get size(): number {
    return this.waiting.length + this.inFlight;
  }

  add(item: T): Promise<R> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    while (this.inFlight < this.options.groupsInFlight && this.waiting.length > 0) {
      const group = this.waiting.splice(0, this.options.maxGroup);
      this.inFlight += 1;
      void this.send(group).finally(() => {
        this.inFlight -= 1;
        this.pump();
      });
    }
  }

  private async send(group: readonly Waiting<T, R>[]): Promise<void> {
    try {
      const outcomes = await this.write(group.map(({ item }) => item));
      group.forEach(({ resolve, reject }, index) => {
        const outcome = outcomes[index];
        if (outcome?.ok === true) resolve(outcome.result);
        else reject(outcome === undefined ? new Error('the group commit gave no outcome') : outcome.error);
      });
    } catch (error) {
      for (const { reject } of group) reject(error);
    }
  }
}
