import { Command, InvalidArgumentError, Option } from 'commander';
import { loadConfig } from '@wlm/commons';
import { formatMails, formatStatus } from '../stack/format';
import { clearMails, listMails } from '../stack/mail-store';
import { stackPaths } from '../stack/paths';
import { stackDown, stackStatus, stackUp } from '../stack/stack';
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

interface OnlyOptions {
  only?: ComponentName[];
}

function upCommand(): Command {
  return new Command('up')
    .description('start every component that is not running yet (idempotent), installing what is missing')
    .addOption(onlyOption())
    .action(async (options: OnlyOptions) => {
      const started = Date.now();
      const results = await stackUp({
        config: loadConfig(),
        onProgress: progressPrinter(),
        ...(options.only === undefined ? {} : { only: options.only }),
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
    .action(async (options: OnlyOptions) => {
      await stackDown({
        config: loadConfig(),
        onProgress: progressPrinter(),
        ...(options.only === undefined ? {} : { only: options.only }),
      });
    });
}

function statusCommand(): Command {
  return new Command('status')
    .description('print each component with its state (up/down), address and version')
    .option('--json', 'print a JSON array of {name, state, address, version, pid}')
    .addHelpText(
      'after',
      '\nExit status: 0 when every component is up, 1 when any is down.\n' +
        'The last column is the PID when `wlm stack up` started the process, "external" when something else did.',
    )
    .action(async (options: { json?: boolean }) => {
      const statuses = await stackStatus({ config: loadConfig() });
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
    .description('run the local stack: RabbitMQ, MariaDB, Neo4j, Serf, sshd and an SMTP sink on 127.0.0.1')
    .addCommand(upCommand())
    .addCommand(downCommand())
    .addCommand(statusCommand())
    .addCommand(mailsCommand())
    .addHelpText(
      'after',
      '\nFiles (data, logs, PID files, SSH keys, mails) live in the stack dir: config stack.dir / WLM_STACK_DIR,\n' +
        'default .wlm in the repository root.',
    );
}
