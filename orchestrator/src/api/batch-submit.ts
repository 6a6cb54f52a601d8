import type { Logger } from '@wlm/commons/logging';
import type { Engine } from '../engine/engine';
import type { SubmitRequest } from '../engine/submit-request';
import { errorAnswer } from './error-handler';
import type { ErrorBody } from './error-handler';
import { experimentSummary } from './experiment-view';
import { submissionStatus } from './prefer-async';
import { parseRequest, submitBodySchema } from './request-validation';

/** The answer for one item, at its index in the request. */
export type BatchItemAnswer =
  | { index: number; status: 200 | 201 | 202; experiment: ReturnType<typeof experimentSummary> }
  | ({ index: number; status: number } & ErrorBody);

export interface BatchAnswer {
  /**
   * Items created now (201; 202 when answered before their start, `Prefer: respond-async`), found
   * under their idempotency key (200), refused (4xx/5xx).
   */
  created: number;
  existing: number;
  failed: number;
  items: BatchItemAnswer[];
}

/**
 * Checks each item as `POST /api/experiments` would, submits the valid ones together
 * (`Engine.submitMany`: a fixed number of store round trips for the whole batch) and answers for
 * each: one item's failure (invalid, unknown type, a key reused differently, one that cannot start)
 * never stops the others. Retrying the whole batch is safe when every item carries an idempotency key.
 */
export async function submitBatch(
  engine: Engine,
  items: readonly unknown[],
  submitter: { actor: string; respondAsync: boolean },
  logger: Logger,
): Promise<BatchAnswer> {
  const answers = new Array<BatchItemAnswer>(items.length);
  const failed = (index: number, error: unknown): BatchItemAnswer => {
    const { status, body, known } = errorAnswer(error);
    if (!known) logger.error({ err: error, index }, 'a batch item failed unexpectedly');
    else if (status >= 500) logger.warn({ err: error, index }, 'a batch item failed');
    return { index, status, ...body };
  };
  const valid: { index: number; request: SubmitRequest }[] = [];
  items.forEach((item, index) => {
    try {
      const body = parseRequest(submitBodySchema, item, `items[${index}]`);
      valid.push({
        index,
        request: { ...body, actor: submitter.actor, startInBackground: submitter.respondAsync },
      });
    } catch (error) {
      answers[index] = failed(index, error);
    }
  });
  const outcomes = await engine.submitMany(valid.map(({ request }) => request));
  valid.forEach(({ index }, i) => {
    const outcome = outcomes[i];
    answers[index] =
      outcome?.ok === true
        ? {
            index,
            status: submissionStatus(outcome.result.experiment, outcome.result.created),
            experiment: experimentSummary(outcome.result.experiment),
          }
        : failed(index, outcome?.error);
  });
  return {
    created: answers.filter((answer) => answer.status === 201 || answer.status === 202).length,
    existing: answers.filter((answer) => answer.status === 200).length,
    failed: answers.filter((answer) => answer.status >= 400).length,
    items: answers,
  };
}
