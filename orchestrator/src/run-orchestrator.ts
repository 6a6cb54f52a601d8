import { onStopSignals } from '@wlm/commons';
import { Orchestrator } from './orchestrator';
import type { OrchestratorOptions } from './orchestrator';

export interface RunOrchestratorOptions extends OrchestratorOptions {
  /** Called once the API listens, e.g. to print its URL. */
  onStarted?: (orchestrator: Orchestrator) => void;
}

/**
 * Runs an orchestrator until SIGTERM or SIGINT. The first signal drains (HTTP requests and the event
 * batch in hand finish, leadership passes to a standby); a second signal, or a drain that outlasts
 * `drainTimeoutMs` plus a margin, exits at once ({@link onStopSignals}). Resolves when stopped.
 */
export async function runOrchestrator(options: RunOrchestratorOptions): Promise<void> {
  const orchestrator = await Orchestrator.start(options);
  options.onStarted?.(orchestrator);
  const logger = options.logger;
  await new Promise<void>((resolve) => {
    const stopListening = onStopSignals([
      (signal) => {
        logger.info({ signal }, 'draining; send the signal again to exit at once');
        const force = setTimeout(
          () => {
            logger.error('draining took too long; exiting');
            process.exit(1);
          },
          (options.drainTimeoutMs ?? 30_000) + 5000,
        );
        force.unref();
        void orchestrator.close().then(() => {
          stopListening();
          resolve();
        });
      },
    ]);
  });
}
