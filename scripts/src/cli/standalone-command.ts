import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Command, Option } from 'commander';
import { loadConfig, readConfigFile } from '@wlm/commons/config';
import type { WlmConfig } from '@wlm/commons/config';
import { stackComputeResource } from '../stack/compute-resource';
import { consoleLines } from './console-address';
import { stackPaths } from '../stack/paths';
import { wholeNumber } from './option-parsers';

const DEMOS = ['parameter-sweep', 'hpc-job'] as const;
type Demo = (typeof DEMOS)[number];

interface StandaloneOptions {
  workers: number;
  slots: number;
  /** `true` for a bare `--demo`. */
  demo?: Demo | true;
  withSlurm?: boolean;
  keepRunning?: boolean;
}

/** The compute resource the workers know the stack's sshd (and SLURM, when up) by. */
const LOCAL_RESOURCE = 'local';
const TASK_TYPES = 'echo,shell,env-setup,data-staging,job-submission';

const CLI = join(__dirname, '..', 'cli.js');
const READY_TIMEOUT_MS = 120_000;

/** Runs `wlm <args>` in the foreground, sharing this terminal; returns its exit status. */
function runCli(args: readonly string[]): number {
  const result = spawnSync(process.execPath, [CLI, ...args], { stdio: 'inherit' });
  return result.status ?? 1;
}

/** Starts `wlm <args>` in the background with its output in `<logDir>/standalone-<name>.log`. */
function startServiceProcess(
  logDir: string,
  name: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
): ChildProcess {
  const log = openSync(join(logDir, `standalone-${name}.log`), 'a');
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', log, log], env });
  console.error(`started ${name} (pid ${child.pid}), log ${join(logDir, `standalone-${name}.log`)}`);
  return child;
}

async function waitForOrchestrator(config: WlmConfig, services: readonly ChildProcess[]): Promise<void> {
  const url = `http://${config.http.host}:${config.http.port}/readyz`;
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

/**
 * The config file the services run with: `$WLM_CONFIG`'s settings (if any), plus the stack's sshd
 * as compute resource `local` — submitting to its SLURM when it runs, as a plain process otherwise —
 * unless that file configures a `local` of its own, and the demo directory as the workers' staging
 * root unless that file names roots of its own.
 */
function writeServiceConfig(config: WlmConfig, withSlurm: boolean): string {
  const ownFile = process.env['WLM_CONFIG'];
  const settings = ownFile === undefined || ownFile === '' ? {} : readConfigFile(ownFile);
  const stackResource = { ...stackComputeResource(config), batchSystem: withSlurm ? 'slurm' : 'local' };
  const resources = { [LOCAL_RESOURCE]: stackResource, ...settings['resources'] };
  const staging = settings['staging'] ?? { localRoots: [demoDirectory(config)] };
  const file = join(stackPaths(config).dir, 'standalone-config.json');
  writeFileSync(file, `${JSON.stringify({ ...settings, resources, staging }, null, 2)}\n`);
  return file;
}

/** Each worker on this host its own metrics port: the configured one, the next for the second, … */
function workerMetricsPort(config: WlmConfig, index: number): string {
  const port = config.metrics.workerPort;
  return port === 'off' || port === 0 ? String(port) : String(port + index);
}

/** Where the hpc-job demo writes its input and gets its result back: `<stack dir>/demo`. */
function demoDirectory(config: WlmConfig): string {
  return join(stackPaths(config).dir, 'demo');
}

/** The inputs of a demo experiment; hpc-job gets an input file generated for it. */
function demoInputs(demo: Demo, config: WlmConfig): string[] {
  if (demo === 'parameter-sweep') return ['study=demo'];
  const demoDir = demoDirectory(config);
  mkdirSync(demoDir, { recursive: true });
  const inputFile = join(demoDir, 'input.txt');
  writeFileSync(inputFile, `wlm hpc-job demo\ngenerated ${new Date().toISOString()}\n`);
  return [`resource=${LOCAL_RESOURCE}`, `inputFile=${inputFile}`, `resultsDir=${join(demoDir, 'results')}`];
}

const DEMO_STORIES: Readonly<Record<Demo, string>> = {
  'parameter-sweep': 'fan-out to five runs, then fan-in',
  'hpc-job': 'set up a run directory over SSH, stage a file in, run a SLURM job on it, stage the result out',
};

function runDemo(demo: Demo, config: WlmConfig): number {
  const example = join(
    dirname(require.resolve('@wlm/orchestrator/package.json')),
    'examples',
    `${demo}.yaml`,
  );
  console.error(`\ndemo: storing the ${demo} DAG from ${example}`);
  const put = runCli(['dag', 'put', example]);
  if (put !== 0) return put;
  console.error(`demo: submitting a ${demo} experiment (${DEMO_STORIES[demo]})`);
  const inputs = demoInputs(demo, config).flatMap((input) => ['--input', input]);
  const status = runCli(['submit', '--type', demo, ...inputs, '--wait']);
  if (status === 0 && demo === 'hpc-job') {
    const result = join(demoDirectory(config), 'results', 'result.txt');
    console.error(`\ndemo: the job's result, staged back to ${result}:\n${readFileSync(result, 'utf8')}`);
  }
  return status;
}

/**
 * `wlm standalone`: the whole system on this machine — the local stack, an orchestrator, a
 * scheduler and workers for the echo and shell task types — until Ctrl-C, or just long enough to run
 * the demo experiment with `--demo`.
 */
export function standaloneCommand(): Command {
  return new Command('standalone')
    .description('run everything on this machine: stack, orchestrator, scheduler and workers')
    .option('--workers <n>', 'workers to start', wholeNumber({ min: 1, max: 16 }), 2)
    .option('--slots <k>', 'task slots per worker', wholeNumber({ min: 1, max: 256 }), 4)
    .addOption(
      new Option('--demo [type]', 'store an example DAG, run one experiment of it and show its result')
        .choices(DEMOS)
        .preset(DEMOS[0]),
    )
    .option('--with-slurm', "also start the stack's SLURM, for job-submission (implied by --demo hpc-job)")
    .option('--keep-running', 'with --demo: keep the system running after the demo until Ctrl-C')
    .addHelpText(
      'after',
      '\nWorkers serve echo, shell, env-setup, data-staging and job-submission; compute resource\n' +
        '"local" is the stack\'s sshd (127.0.0.1:2222), with its SLURM under --with-slurm.\n' +
        'Service logs go to .wlm/logs/standalone-<service>.log. Ctrl-C (SIGINT/SIGTERM) stops the\n' +
        'services this command started; the stack stays up (`wlm stack down` stops it).',
    )
    .action(async (options: StandaloneOptions) => {
      const config = loadConfig();
      const demo = options.demo === true ? DEMOS[0] : options.demo;
      const withSlurm = options.withSlurm === true || demo === 'hpc-job';
      if (runCli(['stack', 'up', ...(withSlurm ? ['--with-slurm'] : [])]) !== 0) {
        process.exitCode = 1;
        return;
      }
      const { logDir } = stackPaths(config);
      const env = { ...process.env, WLM_CONFIG: writeServiceConfig(config, withSlurm) };
      const startService = (name: string, args: readonly string[]): ChildProcess =>
        startServiceProcess(logDir, name, args, env);
      const services = [
        startService('orchestrator', ['orchestrator']),
        startService('scheduler', ['scheduler']),
        ...Array.from({ length: options.workers }, (_, index) =>
          startService(`worker-${index + 1}`, [
            'worker',
            '--name',
            `local-${index + 1}`,
            '--tasks',
            TASK_TYPES,
            '--slots',
            String(options.slots),
            '--metrics-port',
            workerMetricsPort(config, index),
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
        for (const line of consoleLines(config)) console.error(line);
        if (demo !== undefined) {
          console.error(
            'open the console to watch the demo run live (--keep-running keeps it up afterwards)',
          );
          process.exitCode = runDemo(demo, config);
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
