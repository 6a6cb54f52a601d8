import type { SubmitRequest, SubmitResult } from './submit-request';
import type { SubmitOutcome } from './submissions';

interface Waiting {
  request: SubmitRequest;
  resolve: (result: SubmitResult) => void;
  reject: (error: unknown) => void;
}

/** Groups submitted at once; two keep one group's round trips overlapping the next one's. */
const GROUPS_IN_FLIGHT = 2;
/** The most one group holds, as many as one `POST /api/experiments/batch`. */
const MAX_GROUP = 1000;

/**
 * Group commit for single submissions: a submission that arrives while {@link GROUPS_IN_FLIGHT}
 * groups are being submitted waits for one to end and goes with every other that arrived meanwhile,
 * as one group of `submitMany` — so concurrent clients share round trips instead of queueing for
 * the connection pools, and a lone client waits for nothing. Each caller gets its own outcome.
 */
export class SubmissionBatcher {
  private readonly waiting: Waiting[] = [];
  private inFlight = 0;

  constructor(
    private readonly submitMany: (requests: readonly SubmitRequest[]) => Promise<SubmitOutcome[]>,
  ) {}

  submit(request: SubmitRequest): Promise<SubmitResult> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ request, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    while (this.inFlight < GROUPS_IN_FLIGHT && this.waiting.length > 0) {
      const group = this.waiting.splice(0, MAX_GROUP);
      this.inFlight += 1;
      void this.send(group).finally(() => {
        this.inFlight -= 1;
        this.pump();
      });
    }
  }

  private async send(group: readonly Waiting[]): Promise<void> {
    try {
      const outcomes = await this.submitMany(group.map(({ request }) => request));
      group.forEach(({ resolve, reject }, index) => {
        const outcome = outcomes[index];
        if (outcome?.ok === true) resolve(outcome.result);
        else reject(outcome === undefined ? new Error('the submission got no outcome') : outcome.error);
      });
    } catch (error) {
      for (const { reject } of group) reject(error);
    }
  }
}
