import {
  DagValidationError,
  DeadLetterNotFoundError,
  DeadLetterNotReplayableError,
  WlmError,
  isRetryableError,
} from '@wlm/commons/errors';
import type { Logger } from '@wlm/commons/logging';
import type { ErrorRequestHandler, RequestHandler } from 'express';
import { DagNotFoundError } from '../errors/dag-not-found-error';
import { ExperimentConflictError } from '../errors/experiment-conflict-error';
import { ExperimentInputError } from '../errors/experiment-input-error';
import { ExperimentInputLimitError } from '../errors/experiment-input-limit-error';
import { ExperimentInputShapeError } from '../errors/experiment-input-shape-error';
import { ExperimentNotFoundError } from '../errors/experiment-not-found-error';
import { ExperimentStateError } from '../errors/experiment-state-error';
import { StoreInputError } from '../errors/store-input-error';
import { ApiError } from './api-error';

export interface ErrorBody {
  error: { code: string; message: string } & Record<string, unknown>;
}

/** Errors of body-parser carry `type` and `status`; they are the client's fault. */
function bodyParserError(error: unknown): ApiError | undefined {
  if (typeof error !== 'object' || error === null || !('type' in error) || typeof error.type !== 'string') {
    return undefined;
  }
  const message = error instanceof Error ? error.message : 'the request body cannot be read';
  switch (error.type) {
    case 'entity.parse.failed':
      return new ApiError(400, 'BAD_REQUEST', `body: not valid JSON: ${message}`, { field: 'body' });
    case 'entity.too.large':
      return new ApiError(413, 'PAYLOAD_TOO_LARGE', 'body: too large');
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new ApiError(415, 'UNSUPPORTED_MEDIA_TYPE', `body: ${message}`);
    default:
      return undefined;
  }
}

/** The answer for a known error, or `undefined` for a bug. */
function toApiError(error: unknown): ApiError | undefined {
  if (error instanceof ApiError) return error;
  if (error instanceof DagValidationError) {
    return new ApiError(400, error.code, error.message, { problems: [...error.problems] });
  }
  if (error instanceof ExperimentInputError) {
    return new ApiError(400, error.code, error.message, {
      missing: error.missing.map((input) => input.name),
    });
  }
  if (error instanceof ExperimentInputShapeError) {
    return new ApiError(400, error.code, error.message, {
      problems: error.problems.map((problem) => problem.message),
      fields: error.problems.map((problem) => problem.field),
    });
  }
  if (error instanceof ExperimentInputLimitError) {
    return new ApiError(400, error.code, error.message, { problems: [...error.problems] });
  }
  if (error instanceof StoreInputError)
    return new ApiError(400, 'BAD_REQUEST', error.message, { field: error.field });
  if (error instanceof ExperimentNotFoundError || error instanceof DagNotFoundError) {
    return new ApiError(404, error.code, error.message);
  }
  if (error instanceof DeadLetterNotFoundError) return new ApiError(404, error.code, error.message);
  if (error instanceof DeadLetterNotReplayableError) return new ApiError(409, error.code, error.message);
  if (error instanceof ExperimentStateError) {
    return new ApiError(409, error.code, error.message, { state: error.state });
  }
  if (error instanceof ExperimentConflictError) {
    return new ApiError(409, error.code, error.message, { experimentId: error.experimentId });
  }
  if (error instanceof WlmError && error.code === 'SHUTTING_DOWN') {
    return new ApiError(
      503,
      'UNAVAILABLE',
      'the orchestrator is shutting down; try another instance or again later',
    );
  }
  if (isRetryableError(error)) {
    return new ApiError(
      503,
      'UNAVAILABLE',
      'a store or the broker is unreachable; nothing was lost, try again (see /healthz)',
    );
  }
  return bodyParserError(error);
}

/**
 * The status and body an error is answered with; `known` is false for a bug, whose details must go
 * to the log only.
 */
export function errorAnswer(error: unknown): { status: number; body: ErrorBody; known: boolean } {
  const known = toApiError(error);
  return {
    status: known?.status ?? 500,
    known: known !== undefined,
    body: {
      error: known
        ? { ...known.details, code: known.code, message: known.message }
        : { code: 'INTERNAL', message: 'internal error; the orchestrator log has the details' },
    },
  };
}

/**
 * Every error becomes `{ error: { code, message, … } }`. A stack trace never goes to the client:
 * an unexpected error is logged in full and answered with a bare 500.
 */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (error: unknown, request, response, next) => {
    if (response.headersSent) {
      next(error);
      return;
    }
    const { status, body, known } = errorAnswer(error);
    if (!known) {
      logger.error({ err: error, method: request.method, path: request.path }, 'request failed unexpectedly');
    } else if (status >= 500) {
      logger.warn({ err: error, method: request.method, path: request.path }, 'request failed');
    }
    response.status(status).json(body);
  };
}

/** Unknown routes answer in the API's error format too. */
export const notFound: RequestHandler = (request, _response, next) => {
  next(new ApiError(404, 'NOT_FOUND', `no route ${request.method} ${request.path}`));
};
