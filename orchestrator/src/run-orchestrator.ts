import { runService } from '@wlm/commons/lifecycle';
import { Orchestrator } from './orchestrator';
import type { OrchestratorOptions } from './orchestrator';

export interface RunOrchestratorOptions extends OrchestratorOptions {
  /** Called once the API listens, e.g. to print its URL. */
  onStarted?: (orchestrator: Orchestrator) => void;
}

/** What a drain may take beyond `drainTimeoutMs` (closing the connections) before the process exits. */
const EXIT_MARGIN_MS = 5000;

/**
 * Runs an orchestrator until SIGTERM or SIGINT ({@link runService}). The first signal drains (HTTP
 * requests and the event batch in hand finish, leadership passes to a standby); a second signal, or
 * a drain that outlasts `drainTimeoutMs` plus a margin, exits at once. Resolves when stopped.
 */
export async function runOrchestrator(options: RunOrchestratorOptions): Promise<void> {
  const orchestrator = await Orchestrator.start(options);
  options.onStarted?.(orchestrator);
  const logger = options.logger;
  await runService(orchestrator.lifecycle, {
    signalSteps: [{ says: 'draining; send it again to exit at once', run: () => void orchestrator.close() }],
    exitAfterMs: (options.drainTimeoutMs ?? 30_000) + EXIT_MARGIN_MS,
    report: (message, severity) => logger[severity](message),
  });
}
