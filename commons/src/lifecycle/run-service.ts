import type { FinalServiceState } from './service-lifecycle';
import { onStopSignals } from './stop-signals';
import type { SignalTarget, StopStep } from './stop-signals';

/** What {@link runService} needs of a service: how it ends, as its `lifecycle` tells. */
export interface EndingService {
  /** Resolves with the final state once the service ended. */
  readonly ended: Promise<FinalServiceState>;
  /** The fatal error that ended a running service, if one did. */
  readonly failure: Error | undefined;
}

/** The process as {@link runService} uses it: its stop signals, `exit` and exit code. */
export interface ServiceProcess extends SignalTarget {
  exitCode?: number | string | undefined;
}

/** What one SIGTERM/SIGINT does to a running service. */
export interface SignalStep {
  /** What the operator is told after the signal's name, e.g. `draining; send it again to exit at once`. */
  readonly says: string;
  /** Begins what the signal asks for (e.g. `() => void service.close()`); the end is awaited apart. */
  readonly run: () => void;
}

export interface RunServiceOptions {
  /**
   * One step per SIGTERM or SIGINT, in order: the first drains, later ones hurry; one more signal
   * than there are steps exits at once with 128 + the signal's number ({@link onStopSignals}).
   */
  readonly signalSteps: readonly SignalStep[];
  /** How long after the first signal the process may take to stop before it exits 1; no limit if unset. */
  readonly exitAfterMs?: number | undefined;
  /** Where the lines for the operator go: one per signal, the exit at the deadline, a failure. */
  readonly report: (message: string, severity: 'info' | 'error') => void;
  /** The real process unless a test stands in for it. */
  readonly target?: ServiceProcess | undefined;
}

/**
 * Runs a service until it ends, answering the stop signals as every wlm service does: each
 * SIGTERM/SIGINT runs the next of `signalSteps` and says so, and past `exitAfterMs` after the first
 * one the process exits 1. Resolves with the final state once the service ended (started or still
 * starting when this is called); when it `failed`, the process exit code becomes 1 and the error
 * that ended it is reported (a failed start is its starter's to report: `start` rejected with it).
 *
 * @example
 * ```ts
 * const scheduler = await SchedulerService.start({ config, logger });
 * await runService(scheduler.lifecycle, {
 *   signalSteps: [{ says: 'draining; send it again to exit at once', run: () => void scheduler.close() }],
 *   report: (message) => console.error(`wlm scheduler: ${message}`),
 * });
 * ```
 */
export async function runService(
  service: EndingService,
  options: RunServiceOptions,
): Promise<FinalServiceState> {
  const target = options.target ?? process;
  let deadline: NodeJS.Timeout | undefined;
  const startDeadline = (ms: number): void => {
    deadline = setTimeout(() => {
      options.report(`still not stopped ${ms / 1000} s after the signal; exiting`, 'error');
      target.exit(1);
    }, ms);
    // The deadline only bounds a stop that hangs: it must not itself keep the process alive.
    deadline.unref();
  };
  const steps = options.signalSteps.map((step, index): StopStep => (signal) => {
    options.report(`${signal}: ${step.says}`, 'info');
    if (index === 0 && options.exitAfterMs !== undefined) startDeadline(options.exitAfterMs);
    step.run();
  });
  const stopListening = onStopSignals(steps, target);
  let final: FinalServiceState;
  try {
    final = await service.ended;
  } finally {
    stopListening();
    clearTimeout(deadline);
  }
  if (final === 'failed') {
    target.exitCode = 1;
    if (service.failure !== undefined)
      options.report(`stopped after an error: ${service.failure.message}`, 'error');
  }
  return final;
}
