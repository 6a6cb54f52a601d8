import { Command, InvalidArgumentError, Option } from 'commander';
import { loadConfig } from '@wlm/commons/config';
import { formatMails, formatStatus } from '../stack/format';
import { clearMails, listMails } from '../stack/mail-store';
import { stackPaths } from '../stack/paths';
import type * as StackModule from '../stack/stack';
import { COMPONENT_NAMES } from '../stack/types';
import type { ComponentName } from '../stack/types';
import { progressPrinter } from './progress-printer';

function parseComponents(value: string): ComponentName[] {
  const names = value.split(',').map((name) => name.trim());
  const unknown = names.filter((name) => !(COMPONENT_NAMES as readonly string[]).includes(name));
  if (unknown.length > 0) {
    throw new InvalidArgumentError(
      `unknown component ${unknown.join(', ')}; choose from ${COMPONENT_NAMES.join(', ')}`,
    );
  }
  return names as ComponentName[];
}

const onlyOption = (): Option =>
  new Option('--only <components>', `comma-separated subset of ${COMPONENT_NAMES.join(',')}`).argParser(
    parseComponents,
  );

const withSlurmOption = (description: string): Option =>
  new Option('--with-slurm', description).conflicts('only');

const withRedisOption = (description: string): Option =>
  new Option('--with-redis', description).conflicts('only');

interface SelectOptions {
  only?: ComponentName[];
  withSlurm?: boolean;
  withRedis?: boolean;
}

/** The `StackOptions` fields the selection flags set. */
function selection(options: SelectOptions): {
  only?: ComponentName[];
  withSlurm?: boolean;
  withRedis?: boolean;
} {
  return {
    ...(options.only === undefined ? {} : { only: options.only }),
    ...(options.withSlurm === true ? { withSlurm: true } : {}),
    ...(options.withRedis === true ? { withRedis: true } : {}),
  };
}

const SLURM_HELP =
  '\nSLURM (component slurm: munged, slurmctld on 127.0.0.1:6817, slurmd on 127.0.0.1:6818) is started only\n' +
  'with --with-slurm or --only slurm. `status` and `down` include it whenever it runs, flag or not.\n' +
  'Its client commands need SLURM_CONF=<stack dir>/slurm/slurm.conf.\n' +
  'Redis (component redis, on redis.url, default 127.0.0.1:6379, nothing kept on disk) is only for\n' +
  "`npm run bench`'s BullMQ comparison: started with --with-redis or --only redis, used as it is when one runs.";

function upCommand(): Command {
  return new Command('up')
    .description('start every component that is not running yet (idempotent), installing what is missing')
    .addOption(onlyOption())
    .addOption(
      withSlurmOption(
        'also a single-node SLURM cluster (installs munge and slurm-wlm); waits until its node is idle',
      ),
    )
    .addOption(withRedisOption("also Redis (installs redis-server), for npm run bench's BullMQ comparison"))
    .addHelpText('after', SLURM_HELP)
    .action(async (options: SelectOptions) => {
      const started = Date.now();
      const { stackUp } = await loadStack();
      const results = await stackUp({
        config: loadConfig(),
        onProgress: progressPrinter(),
        ...selection(options),
      });
      const fresh = results.filter((r) => r.outcome === 'started').length;
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      console.error(
        `stack is up: ${fresh} started, ${results.length - fresh} already running (${seconds} s)`,
      );
    });
}

function downCommand(): Command {
  return new Command('down')
    .description(
      'stop what `wlm stack up` started (by recorded PID); servers it found running are left alone',
    )
    .addOption(onlyOption())
    .addOption(withSlurmOption('also report on SLURM when it is not running (stopped anyway when it runs)'))
    .addOption(withRedisOption('also report on Redis when it is not running (stopped anyway when it runs)'))
    .addHelpText('after', SLURM_HELP)
    .action(async (options: SelectOptions) => {
      const { stackDown } = await loadStack();
      await stackDown({
        config: loadConfig(),
        onProgress: progressPrinter(),
        ...selection(options),
      });
    });
}

function statusCommand(): Command {
  return new Command('status')
    .description('print each component with its state (up/down), address and version')
    .option('--json', 'print a JSON array of {name, state, address, version, pid}')
    .addOption(onlyOption())
    .addOption(withSlurmOption('list SLURM even when it is not running (it is listed whenever it runs)'))
    .addOption(withRedisOption('list Redis even when it is not running (it is listed whenever it runs)'))
    .addHelpText(
      'after',
      '\nExit status: 0 when every component listed is up, 1 when any is down.\n' +
        'The last column is the PID when `wlm stack up` started the process, "external" when something else did;\n' +
        "for slurm, up means munged, slurmctld and slurmd all answer, and the PID is slurmctld's.\n" +
        SLURM_HELP,
    )
    .action(async (options: SelectOptions & { json?: boolean }) => {
      const { stackStatus } = await loadStack();
      const statuses = await stackStatus({ config: loadConfig(), ...selection(options) });
      if (options.json) console.log(JSON.stringify(statuses, null, 2));
      else for (const line of formatStatus(statuses)) console.log(line);
      if (statuses.some((s) => s.state === 'down')) process.exitCode = 1;
    });
}

function mailsCommand(): Command {
  return new Command('mails')
    .description('list the mails the SMTP sink received (time, sender -> recipients, subject)')
    .option('--json', 'print a JSON array of {id, from, to, subject, date, text, receivedAt}')
    .option('--clear', 'delete every stored mail (after printing them)')
    .action((options: { json?: boolean; clear?: boolean }) => {
      const { mailDir } = stackPaths(loadConfig());
      const mails = listMails(mailDir);
      if (options.json) console.log(JSON.stringify(mails, null, 2));
      else if (mails.length === 0) console.error(`no mails in ${mailDir}`);
      else for (const line of formatMails(mails)) console.log(line);
      if (options.clear) {
        const deleted = clearMails(mailDir);
        console.error(`deleted ${deleted} ${deleted === 1 ? 'mail' : 'mails'}`);
      }
    });
}

/** `wlm stack …`: the local servers wlm and its tests run against. */
export function stackCommand(): Command {
  return new Command('stack')
    .description(
      'run the local stack: RabbitMQ, MariaDB, Neo4j, Serf, sshd, an SMTP sink, (--with-slurm) SLURM and (--with-redis) Redis on 127.0.0.1',
    )
    .addCommand(upCommand())
    .addCommand(downCommand())
    .addCommand(statusCommand())
    .addCommand(mailsCommand())
    .addHelpText(
      'after',
      '\nFiles (data, logs, PID files, SSH keys, mails, slurm/slurm.conf) live in the stack dir: config\n' +
        'stack.dir / WLM_STACK_DIR, default .wlm in the repository root.',
    );
}

/**
 * The stack's code, loaded on use: it pulls in the MariaDB and Neo4j drivers and the mail parser,
 * which every other command — a worker restarting under a supervisor above all — starts faster without.
 */
function loadStack(): Promise<typeof StackModule> {
  return import('../stack/stack.js');
}
