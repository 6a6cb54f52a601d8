import { join } from 'node:path';
import { AmqpConnection, deleteTopology } from '@wlm/commons/amqp';
import { loadConfig } from '@wlm/commons/config';
import { workerIncidentSchema } from '@wlm/commons/wire';
import type { WlmTopology } from '@wlm/commons/amqp';
import type { WorkerIncidentInput } from '@wlm/commons/wire';
import { deleteMails, listMails, stackPaths } from '@wlm/scripts';
import type { StoredMail } from '@wlm/scripts';
import { AMQP_URL, ChildScripts, waitFor } from '@wlm/test-support';
import type { ChildScript } from '@wlm/test-support';
import { isolatedTopology, testLogger } from '../support/harness';

/*
 * The admin mail is sent at least once: its reports are acknowledged only after the SMTP server
 * took the mail. A consumer killed between the two leaves the reports to the next consumer, which
 * sends the mail again — with the same Message-ID, so the repeat is recognisably the same message.
 * This kills a real consumer process in exactly that window.
 */

jest.setTimeout(60_000);

const mailDir = stackPaths(loadConfig()).mailDir;
const workerId = `crash-mail-${process.pid}`;
let topology: WlmTopology;
let amqp: AmqpConnection;
const children = new ChildScripts();

const mails = (): StoredMail[] =>
  listMails(mailDir).filter((mail) => mail.subject === `[wlm] worker ${workerId} failed`);

function start(mode: 'crash-after-mail' | 'normal'): ChildScript {
  return children.start(join(__dirname, '..', 'support', 'alert-consumer-process.js'), [
    topology.namespace,
    mode,
  ]);
}

/** The Message-IDs of the mails a child logged as sent. */
function sentMessageIds(child: ChildScript): string[] {
  return child.output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { msg?: string; messageId?: string })
    .filter((record) => record.msg === 'admin mail sent')
    .map((record) => record.messageId ?? '');
}

beforeAll(async () => {
  topology = isolatedTopology();
  amqp = await AmqpConnection.connect({
    url: AMQP_URL,
    logger: testLogger,
    topology: topology.core(),
    connectionName: 'alert-mail-crash-test',
  });
});

afterAll(async () => {
  await children.killAll();
  deleteMails(
    mailDir,
    mails().map((mail) => mail.id),
  );
  await amqp.withChannel((channel) => deleteTopology(channel, topology.core()));
  await amqp.close();
});

it('a consumer killed between sending the mail and acking sends it once more, with the same Message-ID', async () => {
  const crashing = start('crash-after-mail');
  await waitFor('the first consumer', () => crashing.output.includes('consuming'));
  const report: WorkerIncidentInput = {
    v: 1,
    type: 'WORKER_FAILED',
    workerId,
    address: '10.0.0.9:7946',
    detectedAt: '2026-03-04T05:06:07.000Z',
    source: 'serf',
    reporter: 'sched-a',
    affectedTasks: [],
  };
  await amqp.publishMessage('', topology.queues.schedulerAlerts, workerIncidentSchema, report);
  expect(await crashing.exited).toEqual({ code: null, signal: 'SIGKILL' });
  expect(crashing.output).toContain('mailed');
  await waitFor('the first mail in the sink', () => mails().length === 1);

  const next = start('normal');
  await waitFor('the mail sent again', () => mails().length === 2);
  next.kill('SIGTERM');
  expect(await next.exited).toEqual({ code: 0, signal: null });

  const expected = `<wlm.worker-failed.${workerId}.${Date.parse(report.detectedAt)}@localhost>`;
  expect(sentMessageIds(crashing)).toEqual([expected]);
  expect(sentMessageIds(next)).toEqual([expected]);
  // Exactly one repeat, and nothing left over: the reports were acknowledged, none dead-lettered.
  expect(mails().map((mail) => mail.text)).toEqual([mails()[0]?.text, mails()[0]?.text]);
  const count = (queue: string): Promise<number> =>
    amqp.withChannel(async (channel) => (await channel.checkQueue(queue)).messageCount);
  expect(await count(topology.queues.schedulerAlerts)).toBe(0);
  expect(await count(topology.queues.deadLetter)).toBe(0);
});
