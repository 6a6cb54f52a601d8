import { Command } from 'commander';
import { loadConfig } from '@wlm/commons/config';
import { createLogger } from '@wlm/commons/logging';
import { parsePort } from './metrics-option';
import { parseNamespace } from './option-parsers';

interface OrchestratorCommandOptions {
  namespace: string;
  instanceId?: string;
  port?: number;
  host?: string;
}

/** `wlm orchestrator`: runs one orchestrator (API + engine; leads or stands by) until a signal stops it. */
export function orchestratorCommand(): Command {
  return new Command('orchestrator')
    .description('run an orchestrator: REST API, DAG engine, recovery; several may run, one leads')
    .option(
      '--namespace <ns>',
      'topology namespace (prefix of every queue and exchange)',
      parseNamespace,
      'wlm',
    )
    .option(
      '--instance-id <id>',
      'name of this instance in logs and the leadership table (default <host>:<pid>)',
    )
    .option('--host <host>', 'address the API listens on (default config http.host, WLM_HTTP_HOST)')
    .option(
      '--port <port>',
      'port of the API and of /metrics, /healthz, /readyz (default config http.port, WLM_HTTP_PORT)',
      parsePort,
    )
    .addHelpText(
      'after',
      '\nUses MySQL (mysql.url), Neo4j (neo4j.*) and RabbitMQ (rabbitmq.url); `wlm stack up` starts them locally.\n' +
        'The first SIGTERM/SIGINT drains (requests and the event batch in hand finish, a standby takes over);\n' +
        'a second one exits at once.\n' +
        '\nAPI tokens are config api.tokens: named tokens with scopes read, submit, admin (or plain secrets\n' +
        'with every scope, WLM_API_TOKEN). It refuses to listen beyond the loopback address while a token\n' +
        'is the public default wlm-dev-token (docs/orchestrator-api.md, "Tokens and scopes").',
    )
    .action(async (options: OrchestratorCommandOptions) => {
      const config = loadConfig();
      const logger = createLogger({ component: 'orchestrator', level: config.log.level });
      // Loaded on use: every other command (a restarting worker above all) starts faster without it.
      const { runOrchestrator } = await import('@wlm/orchestrator');
      await runOrchestrator({
        config,
        logger,
        namespace: options.namespace,
        instanceId: options.instanceId,
        http: { host: options.host, port: options.port },
        onStarted: (orchestrator) =>
          console.error(
            `wlm orchestrator: API on ${orchestrator.url}/api (metrics: ${orchestrator.url}/metrics, readiness: ${orchestrator.url}/readyz)`,
          ),
      });
    });
}
