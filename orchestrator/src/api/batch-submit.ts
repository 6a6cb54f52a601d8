import type { Logger } from '@wlm/commons';
import type { Engine } from '../engine/engine';
import { mapLimit } from '../engine/map-limit';
import { errorAnswer } from './error-handler';
import type { ErrorBody } from './error-handler';
import { experimentSummary } from './experiment-view';
import { parseRequest, submitBodySchema } from './request-validation';

/**
 * Items of one batch submitted at once. Each submission is a few store round trips, so a handful in
 * flight keeps the pools busy without queueing a thousand queries behind one request.
 */
const CONCURRENT_ITEMS = 16;

/** The answer for one item, at its index in the request. */
export type BatchItemAnswer =
  | { index: number; status: 200 | 201; experiment: ReturnType<typeof experimentSummary> }
  | ({ index: number; status: number } & ErrorBody);

export interface BatchAnswer {
  /** Items created now (201), found under their idempotency key (200), refused (4xx/5xx). */
  created: number;
  existing: number;
  failed: number;
  items: BatchItemAnswer[];
}

/**
 * Submits each item as `POST /api/experiments` would and answers for each: one item's failure
 * (invalid, unknown type, a key reused differently, a store briefly down) never stops the others.
 * Retrying the whole batch is safe when every item carries an idempotency key.
 */
export async function submitBatch(
  engine: Engine,
  items: readonly unknown[],
  actor: string,
  logger: Logger,
): Promise<BatchAnswer> {
  const answers = await mapLimit(
    items.map((item, index) => ({ item, index })),
    CONCURRENT_ITEMS,
    async ({ item, index }): Promise<BatchItemAnswer> => {
      try {
        const body = parseRequest(submitBodySchema, item, `items[${index}]`);
        const { experiment, created } = await engine.submit({ ...body, actor });
        return { index, status: created ? 201 : 200, experiment: experimentSummary(experiment) };
      } catch (error) {
        const { status, body, known } = errorAnswer(error);
        if (!known) logger.error({ err: error, index }, 'a batch item failed unexpectedly');
        else if (status >= 500) logger.warn({ err: error, index }, 'a batch item failed');
        return { index, status, ...body };
      }
    },
  );
  return {
    created: answers.filter((answer) => answer.status === 201).length,
    existing: answers.filter((answer) => answer.status === 200).length,
    failed: answers.filter((answer) => answer.status >= 400).length,
    items: answers,
  };
}
