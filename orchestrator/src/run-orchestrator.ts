import { Orchestrator } from './orchestrator';
import type { OrchestratorOptions } from './orchestrator';

export interface RunOrchestratorOptions extends OrchestratorOptions {
  /** Called once the API listens, e.g. to print its URL. */
  onStarted?: (orchestrator: Orchestrator) => void;
}

/**
 * Runs an orchestrator until SIGTERM or SIGINT. The first signal drains (HTTP requests and the event
 * batch in hand finish, leadership passes to a standby); a second signal, or a drain that outlasts
 * `drainTimeoutMs` plus a margin, exits at once. Resolves when stopped.
 */
export async function runOrchestrator(options: RunOrchestratorOptions): Promise<void> {
  const orchestrator = await Orchestrator.start(options);
  options.onStarted?.(orchestrator);
  const logger = options.logger;
  await new Promise<void>((resolve) => {
    let signals = 0;
    const onSignal = (signal: NodeJS.Signals): void => {
      signals += 1;
      if (signals > 1) {
        logger.warn({ signal }, 'second signal: exiting without draining');
        process.exit(1);
      }
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
        process.off('SIGTERM', onSignal);
        process.off('SIGINT', onSignal);
        resolve();
      });
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}
