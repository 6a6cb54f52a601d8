import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Command } from 'commander';
import { WlmError } from '@wlm/commons/errors';
import { dagCommand } from './dag-command';
import { dlqCommand } from './dlq-command';
import { experimentActionCommand, statusCommand, submitCommand } from './experiment-commands';
import { auditCommand, experimentsCommand } from './experiment-list-commands';
import { mockOrchestratorCommand } from './mock-orchestrator-command';
import { logsCommand, workersCommand } from './operator-commands';
import { orchestratorCommand } from './orchestrator-command';
import { pluginCommand } from './plugin-command';
import { schedulerCommand } from './scheduler-command';
import { stackCommand } from './stack-command';
import { standaloneCommand } from './standalone-command';
import { workerCommand } from './worker-command';

function cliVersion(): string {
  try {
    const manifest: unknown = JSON.parse(readFileSync(resolve(__dirname, '../../package.json'), 'utf8'));
    const version = (manifest as { version?: unknown }).version;
    return typeof version === 'string' ? version : '0.0.0';
  } catch {
    return '0.0.0';
  }
}

export function buildProgram(): Command {
  // Positional options: `wlm --version` only before a subcommand, so `wlm dag get T --version 2` is the DAG's.
  return new Command('wlm')
    .description('wlm — a distributed workload manager that runs DAGs of scientific tasks')
    .version(cliVersion())
    .enablePositionalOptions()
    .showHelpAfterError()
    .addCommand(stackCommand())
    .addCommand(schedulerCommand())
    .addCommand(workerCommand())
    .addCommand(mockOrchestratorCommand())
    .addCommand(orchestratorCommand())
    .addCommand(dagCommand())
    .addCommand(submitCommand())
    .addCommand(statusCommand())
    .addCommand(experimentsCommand())
    .addCommand(auditCommand())
    .addCommand(experimentActionCommand('cancel'))
    .addCommand(experimentActionCommand('rerun'))
    .addCommand(experimentActionCommand('resume'))
    .addCommand(standaloneCommand())
    .addCommand(dlqCommand())
    .addCommand(pluginCommand())
    .addCommand(workersCommand())
    .addCommand(logsCommand())
    .addHelpText(
      'after',
      '\nConfiguration: defaults, then the file named by WLM_CONFIG, then WLM_* environment variables.',
    );
}

/**
 * Runs the CLI. Errors wlm raises on purpose are printed as their message only (they name what is
 * wrong and where to look); anything else is a bug, so its stack is printed too.
 */
export async function main(argv: readonly string[]): Promise<void> {
  try {
    await buildProgram().parseAsync([...argv]);
  } catch (error) {
    if (error instanceof WlmError) console.error(`wlm: ${error.message}`);
    else console.error('wlm: unexpected error (a bug):', error);
    process.exitCode = 1;
  }
}
