import { Command } from 'commander';
import { DeadLetterQueue } from '@wlm/commons/amqp';
import { loadConfig } from '@wlm/commons/config';
import { createLogger } from '@wlm/commons/logging';
import type { DeadLetterDetail, DeadLetterView } from '@wlm/commons/amqp';
import { ConfirmationRequiredError } from '../errors/confirmation-required-error';
import { table } from '../format/text-table';
import { parseNamespace } from './option-parsers';

interface NamespaceOption {
  namespace: string;
}

interface JsonOption extends NamespaceOption {
  json?: boolean;
}

/** Longest reason `wlm dlq list` prints on one line; `show` prints it whole. */
const LIST_REASON_LENGTH = 80;

/** Opens the queue, runs `fn`, closes. What goes wrong is an error the CLI prints; no log lines. */
async function withQueue<T>(namespace: string, fn: (queue: DeadLetterQueue) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const logger = createLogger({ component: 'dlq', level: 'silent', pretty: false });
  const queue = await DeadLetterQueue.open({
    url: config.rabbitmq.url,
    caFile: config.rabbitmq.caFile,
    namespace,
    logger,
  });
  try {
    return await fn(queue);
  } finally {
    await queue.close();
  }
}

function withNamespace(command: Command): Command {
  return command.option(
    '--namespace <ns>',
    'topology namespace of the installation (prefix of every queue)',
    parseNamespace,
    'wlm',
  );
}

function shorten(text: string, length: number): string {
  const line = text.replace(/\s+/g, ' ');
  return line.length > length ? `${line.slice(0, length - 1)}…` : line;
}

function listCommand(): Command {
  return withNamespace(
    new Command('list')
      .description('list the dead letters, oldest first, each with the id the other subcommands take')
      .option(
        '--json',
        'print a JSON array of {id, sourceQueue, errorCode, reason, consumer, deadLetteredAt, deliveries, messageId, priority, bytes}',
      ),
  ).action(async (options: JsonOption) => {
    const views = await withQueue(options.namespace, (queue) => queue.list());
    if (options.json) {
      console.log(JSON.stringify(views, null, 2));
      return;
    }
    if (views.length === 0) {
      console.error('no dead letters');
      return;
    }
    const rows = views.map((view) => [
      view.id,
      view.sourceQueue ?? '?',
      view.errorCode,
      view.deliveries === undefined ? '?' : String(view.deliveries),
      view.deadLetteredAt ?? '?',
      view.consumer ?? '?',
      shorten(view.reason, LIST_REASON_LENGTH),
    ]);
    const header = ['ID', 'SOURCE QUEUE', 'CODE', 'DELIVERIES', 'DEAD-LETTERED AT', 'CONSUMER', 'REASON'];
    for (const line of table([header, ...rows])) console.log(line);
  });
}

function describe(view: DeadLetterView): string[] {
  return [
    `id:               ${view.id}`,
    `source queue:     ${view.sourceQueue ?? 'unknown (cannot be replayed)'}`,
    `error code:       ${view.errorCode}`,
    `reason:           ${view.reason}`,
    `consumer:         ${view.consumer ?? 'unknown'}`,
    `dead-lettered at: ${view.deadLetteredAt ?? 'unknown'}`,
    `deliveries:       ${view.deliveries ?? 'unknown'}`,
    `message id:       ${view.messageId ?? '-'}`,
    `priority:         ${view.priority ?? '-'}`,
  ];
}

function showCommand(): Command {
  return withNamespace(
    new Command('show')
      .description('print one dead letter: why, where from, who gave up on it, and its body')
      .argument('<id>', 'a dead-letter id from `wlm dlq list`')
      .option('--json', 'print {…the list fields, body, headers} as JSON'),
  ).action(async (id: string, options: JsonOption) => {
    const detail: DeadLetterDetail = await withQueue(options.namespace, (queue) => queue.show(id));
    if (options.json) {
      console.log(JSON.stringify(detail, null, 2));
      return;
    }
    for (const line of describe(detail)) console.log(line);
    console.log('body:');
    console.log(typeof detail.body === 'string' ? detail.body : JSON.stringify(detail.body, null, 2));
  });
}

function replayCommand(): Command {
  return withNamespace(
    new Command('replay')
      .description(
        'put a dead letter back on the queue it came from, its delivery count reset, and remove it from the dead-letter queue',
      )
      .argument('<id>', 'a dead-letter id from `wlm dlq list`'),
  ).action(async (id: string, options: NamespaceOption) => {
    const view = await withQueue(options.namespace, (queue) => queue.replay(id));
    console.log(`replayed ${view.id} to ${view.sourceQueue ?? '?'}`);
  });
}

function purgeCommand(): Command {
  return withNamespace(
    new Command('purge')
      .description('remove one dead letter for good, or every one with --yes')
      .argument('[id]', 'the dead letter to remove (default: all of them, which needs --yes)')
      .option('--yes', 'really remove every dead letter'),
  ).action(async (id: string | undefined, options: NamespaceOption & { yes?: boolean }) => {
    await withQueue(options.namespace, async (queue) => {
      if (id !== undefined) {
        const view = await queue.remove(id);
        console.log(`removed ${view.id}`);
        return;
      }
      const count = await queue.count();
      if (count === 0) {
        console.error('no dead letters to purge');
        return;
      }
      if (!options.yes) {
        throw new ConfirmationRequiredError(
          `purge would remove all ${count} dead letter(s) of ${queue.queue} for good: add --yes, ` +
            'or name one id (`wlm dlq purge ID`)',
        );
      }
      const purged = await queue.purge();
      console.log(`purged ${purged} dead letter(s)`);
    });
  });
}

/** `wlm dlq`: look at, replay and remove the messages consumers gave up on. */
export function dlqCommand(): Command {
  return new Command('dlq')
    .description('see and replay dead letters: messages a consumer gave up on, each with the reason')
    .addCommand(listCommand())
    .addCommand(showCommand())
    .addCommand(replayCommand())
    .addCommand(purgeCommand())
    .addHelpText(
      'after',
      '\nA message is dead-lettered when it is invalid, when its handler fails for good, or after\n' +
        'rabbitmq.maxDeliveries deliveries (WLM_RABBITMQ_MAX_DELIVERIES, default 10). See docs/operations.md.',
    );
}
