import { constants } from 'node:os';

/** What of a process the signal handling uses (the real one, or a stand-in in tests). */
export interface SignalTarget {
  on(signal: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): unknown;
  off(signal: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): unknown;
  exit(code: number): never;
}

/** One step of a service's answer to SIGTERM/SIGINT: the first drains, later ones hurry. */
export type StopStep = (signal: NodeJS.Signals) => void;

const STOP_SIGNALS: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGINT'];

/**
 * How every wlm service stops: the n-th SIGTERM or SIGINT runs `steps[n-1]` (the first drains); one
 * more signal than there are steps exits at once with 128 + the signal's number, as a shell reports
 * a process killed by that signal — what the service held goes back to the broker when its
 * connection drops. Returns the function that stops listening (call it once the service stopped).
 */
export function onStopSignals(steps: readonly StopStep[], target: SignalTarget = process): () => void {
  let received = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    received += 1;
    const step = steps[received - 1];
    if (step === undefined) target.exit(128 + constants.signals[signal]);
    else step(signal);
  };
  for (const signal of STOP_SIGNALS) target.on(signal, onSignal);
  return () => {
    for (const signal of STOP_SIGNALS) target.off(signal, onSignal);
  };
}
