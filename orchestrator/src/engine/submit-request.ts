import type { JsonObject } from '../domain/json';
import type { Experiment } from '../domain/records';

export interface SubmitRequest {
  type: string;
  inputs: JsonObject;
  /** 0–9; the AMQP priority of every task of the experiment. */
  priority: number;
  idempotencyKey?: string | undefined;
  /** Who submits, for the audit trail (e.g. `api:ci`, the name of the token). */
  actor: string;
  /**
   * Answer once the experiment is stored (PENDING) and start it afterwards (`Prefer:
   * respond-async`), instead of answering once it started. Ignored while too many starts wait: the
   * submission then waits for its own start.
   */
  startInBackground?: boolean | undefined;
}

export interface SubmitResult {
  experiment: Experiment;
  /** False when the idempotency key named an earlier submission, which is returned instead. */
  created: boolean;
}
