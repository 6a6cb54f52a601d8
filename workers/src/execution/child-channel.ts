import { clip } from './error-message';
import { IPC_LIMITS } from './ipc-messages';
import type { ChildMessage, FailureMessage } from './ipc-messages';

/**
 * Sends a message to the worker. Resolves once the message is handed to the IPC channel, so a
 * child can report and then exit without losing the report. Never rejects: when the worker is
 * gone there is nobody to tell.
 */
export function sendToParent(message: ChildMessage): Promise<void> {
  return new Promise((resolve) => {
    if (process.send === undefined || !process.connected) {
      resolve();
      return;
    }
    process.send(message, undefined, {}, () => resolve());
  });
}

/** Reports a task failure, clipped to the limits of the TaskEvent that will carry it. */
export function sendFailure(failure: Omit<FailureMessage, 'type'>): Promise<void> {
  return sendToParent({
    type: 'failure',
    fatal: failure.fatal,
    retryable: failure.retryable,
    code: clip(failure.code, IPC_LIMITS.codeChars),
    reason: clip(failure.reason, IPC_LIMITS.reasonChars),
  });
}
