/**
 * `node orchestrator/dist/main.js [--namespace NS] [--instance-id ID] [--port N]`: one orchestrator
 * process, configured like every wlm service (defaults, `WLM_CONFIG`, `WLM_*` variables). The
 * `wlm orchestrator` command does the same; this entry exists so that tests and deployments can run
 * the built package without the CLI.
 */
import { parseArgs } from 'node:util';
import { loadConfig } from '@wlm/commons/config';
import { createLogger } from '@wlm/commons/logging';
import { runOrchestrator } from './run-orchestrator';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      namespace: { type: 'string' },
      'instance-id': { type: 'string' },
      port: { type: 'string' },
    },
  });
  const config = loadConfig();
  const logger = createLogger({ component: 'orchestrator', level: config.log.level });
  await runOrchestrator({
    config,
    logger,
    namespace: values.namespace,
    instanceId: values['instance-id'],
    http: { port: values.port === undefined ? undefined : Number(values.port) },
    onStarted: (orchestrator) => logger.info({ url: orchestrator.url }, 'listening'),
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`orchestrator: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
