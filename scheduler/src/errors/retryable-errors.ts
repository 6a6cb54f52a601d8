import { WlmError } from '@wlm/commons/errors';

/**
 * Why a held message goes back to its queue: the scheduler is draining. Retryable, so the consumer
 * requeues the message (with `requeue`) instead of dead-lettering it, and another instance takes it.
 */
export function shuttingDown(what: string): WlmError {
  return new WlmError('SHUTTING_DOWN', `the scheduler is shutting down; ${what} goes back to its queue`, {
    retryable: true,
  });
}

/**
 * A publish the broker did not confirm, made retryable: the message being handled is fine and must be
 * requeued rather than dead-lettered (e.g. a worker queue deleted under us is declared again next time).
 */
export function publishFailed(what: string, cause: unknown): WlmError {
  const detail = cause instanceof Error ? cause.message : String(cause);
  return new WlmError('AMQP_PUBLISH_FAILED', `${what} failed: ${detail}`, { cause, retryable: true });
}

/**
 * A held request handed back to its queue on purpose: its delivery is no longer ours (the channel
 * closed, so the broker requeued it already) or it was held so long that the broker's delivery
 * timeout would close the channel. Retryable, so the consumer requeues rather than dead-letters.
 */
export function handedBack(reason: string): WlmError {
  return new WlmError('SHUTTING_DOWN', `held request handed back to its queue: ${reason}`, {
    retryable: true,
  });
}
