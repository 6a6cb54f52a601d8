import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { openSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { loadConfig } from '@wlm/commons';
import type { WlmConfig } from '@wlm/commons';
import { stackPaths } from '../stack/paths';

interface StandaloneOptions {
  workers: number;
  slots: number;
  demo?: boolean;
  keepRunning?: boolean;
}

const CLI = join(__dirname, '..', 'cli.js');
const READY_TIMEOUT_MS = 120_000;
const DEMO_TYPE = 'parameter-sweep';

function parseCount(max: number) {
  return (value: string): number => {
    const count = /^\d+$/.test(value.trim()) ? Number(value) : Number.NaN;
    if (!Number.isInteger(count) || count < 1 || count > max)
      throw new InvalidArgumentError(`expected a whole number from 1 to ${max}`);
    return count;
  };
}

/** Runs `wlm <args>` in the foreground, sharing this terminal; returns its exit status. */
function runCli(args: readonly string[]): number {
  const result = spawnSync(process.execPath, [CLI, ...args], { stdio: 'inherit' });
  return result.status ?? 1;
}

/** Starts `wlm <args>` in the background with its output in `<logDir>/standalone-<name>.log`. */
function startService(logDir: string, name: string, args: readonly string[]): ChildProcess {
  const log = openSync(join(logDir, `standalone-${name}.log`), 'a');
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', log, log] });
  console.error(`started ${name} (pid ${child.pid}), log ${join(logDir, `standalone-${name}.log`)}`);
  return child;
}

async function waitForOrchestrator(config: WlmConfig, services: readonly ChildProcess[]): Promise<void> {
  const url = `http://${config.http.host}:${config.http.port}/healthz`;
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let lastReport = 0;
  while (Date.now() < deadline) {
    if (services.some((child) => child.exitCode !== null))
      throw new Error('a service exited while starting; see its log above');
    const ready = await fetch(url).then(
      (response) => response.ok,
      () => false,
    );
    if (ready) return;
    if (Date.now() - lastReport > 5_000) {
      console.error(`waiting for the orchestrator at ${url} …`);
      lastReport = Date.now();
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(`the orchestrator did not become ready at ${url} within ${READY_TIMEOUT_MS / 1000} s`);
}

function stopAll(services: readonly ChildProcess[]): Promise<void> {
  const exits = services
    .filter((child) => child.exitCode === null && child.signalCode === null)
    .map((child) => new Promise<void>((resolve) => child.once('exit', () => resolve())));
  for (const child of services) child.kill('SIGTERM');
  return Promise.all(exits).then(() => undefined);
}

function runDemo(): number {
  const example = join(
    dirname(require.resolve('@wlm/orchestrator/package.json')),
    'examples',
    `${DEMO_TYPE}.yaml`,
  );
  console.error(`\ndemo: storing the ${DEMO_TYPE} DAG from ${example}`);
  const put = runCli(['dag', 'put', example]);
  if (put !== 0) return put;
  console.error(`demo: submitting a ${DEMO_TYPE} experiment (fan-out to five runs, then fan-in)`);
  return runCli(['submit', '--type', DEMO_TYPE, '--input', 'study=demo', '--wait']);
}

/**
 * `wlm standalone`: the whole system on this machine — the local stack, an orchestrator, a
 * scheduler and workers for the echo and shell task types — until Ctrl-C, or just long enough to run
 * the demo experiment with `--demo`.
 */
export function standaloneCommand(): Command {
  return new Command('standalone')
    .description('run everything on this machine: stack, orchestrator, scheduler and workers')
    .option('--workers <n>', 'workers to start', parseCount(16), 2)
    .option('--slots <k>', 'task slots per worker', parseCount(256), 4)
    .option('--demo', 'store the parameter-sweep example, run one experiment and show its result')
    .option('--keep-running', 'with --demo: keep the system running after the demo until Ctrl-C')
    .addHelpText(
      'after',
      '\nService logs go to .wlm/logs/standalone-<service>.log. Ctrl-C (SIGINT/SIGTERM) stops the\n' +
        'services this command started; the stack stays up (`wlm stack down` stops it).',
    )
    .action(async (options: StandaloneOptions) => {
      const config = loadConfig();
      if (runCli(['stack', 'up']) !== 0) {
        process.exitCode = 1;
        return;
      }
      const { logDir } = stackPaths(config);
      const services = [
        startService(logDir, 'orchestrator', ['orchestrator']),
        startService(logDir, 'scheduler', ['scheduler']),
        ...Array.from({ length: options.workers }, (_, index) =>
          startService(logDir, `worker-${index + 1}`, [
            'worker',
            '--name',
            `local-${index + 1}`,
            '--tasks',
            'echo,shell',
            '--slots',
            String(options.slots),
          ]),
        ),
      ];
      const stopped = new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      try {
        await waitForOrchestrator(config, services).catch((error: unknown) => {
          console.error(`wlm standalone: ${(error as Error).message}`);
          process.exitCode = 1;
          throw error;
        });
        console.error(`wlm is running: API at http://${config.http.host}:${config.http.port}`);
        if (options.demo) {
          process.exitCode = runDemo();
          if (!options.keepRunning) return;
        }
        console.error('Ctrl-C stops the services');
        await stopped;
      } catch {
        // Already reported above; the services are stopped below.
      } finally {
        console.error('stopping the services …');
        await stopAll(services);
      }
    });
}
