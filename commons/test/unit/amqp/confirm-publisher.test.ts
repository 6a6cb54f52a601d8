import { EventEmitter } from 'node:events';
import type { ConfirmChannel, Options } from 'amqplib';
import { AmqpPublishError } from '@wlm/commons/errors';
import { createLogger } from '@wlm/commons/logging';
// The publisher is internal to the package; its logic is tested here against a scripted channel.
import { ConfirmPublisher } from '../../../src/amqp/confirm-publisher';

type ConfirmCallback = (error: unknown) => void;

/** Just enough of amqplib's ConfirmChannel: records publishes and confirms them on command. */
class ScriptedChannel extends EventEmitter {
  readonly sent: { routingKey: string; options: Options.Publish; confirm: ConfirmCallback }[] = [];
  private unconfirmed: ConfirmCallback[] = [];
  writable = true;

  constructor() {
    super();
    // As amqplib does: a closing channel fails every outstanding confirm callback.
    this.on('close', () => {
      for (const callback of this.unconfirmed.splice(0)) callback(new Error('channel closed'));
    });
  }

  publish(
    _exchange: string,
    routingKey: string,
    _content: Buffer,
    options: Options.Publish,
    cb: ConfirmCallback,
  ) {
    const confirm: ConfirmCallback = (error) => {
      this.unconfirmed = this.unconfirmed.filter((c) => c !== confirm);
      cb(error);
    };
    this.unconfirmed.push(confirm);
    this.sent.push({ routingKey, options, confirm });
    return this.writable;
  }

  get inFlight(): number {
    return this.unconfirmed.length;
  }

  ackAll(): void {
    for (const callback of [...this.unconfirmed]) callback(null);
  }

  /** The broker closing the channel: with an error (channel exception) or without (connection lost). */
  die(error?: Error): void {
    if (error) this.emit('error', error);
    this.emit('close');
  }

  asConfirmChannel(): ConfirmChannel {
    return this as unknown as ConfirmChannel;
  }
}

const log = createLogger({ component: 'test', level: 'silent', pretty: false });

function publishN(publisher: ConfirmPublisher, n: number, mandatory = false): Promise<void>[] {
  return Array.from({ length: n }, (_, i) =>
    publisher.publish('', `m${i}`, Buffer.from(`{"i":${i}}`), { mandatory }),
  );
}

describe('ConfirmPublisher', () => {
  it('pipelines up to maxInFlight unconfirmed messages and no more', async () => {
    const publisher = new ConfirmPublisher(log, 3);
    const channel = new ScriptedChannel();
    publisher.attach(channel.asConfirmChannel());
    const results = publishN(publisher, 7);
    expect(channel.inFlight).toBe(3);
    expect(publisher.pending).toBe(7);
    channel.ackAll();
    expect(channel.inFlight).toBe(3);
    channel.ackAll();
    channel.ackAll();
    await expect(Promise.all(results)).resolves.toHaveLength(7);
    expect(channel.sent.map((s) => s.routingKey)).toEqual(['m0', 'm1', 'm2', 'm3', 'm4', 'm5', 'm6']);
    await expect(publisher.whenIdle()).resolves.toBeUndefined();
  });

  it('holds messages while no channel is attached and sends them on the next one', async () => {
    const publisher = new ConfirmPublisher(log, 10);
    const results = publishN(publisher, 2);
    const channel = new ScriptedChannel();
    publisher.attach(channel.asConfirmChannel());
    channel.ackAll();
    await expect(Promise.all(results)).resolves.toHaveLength(2);
  });

  it('re-sends, in order and ahead of newer messages, what a lost connection left unconfirmed', async () => {
    const publisher = new ConfirmPublisher(log, 2);
    const first = new ScriptedChannel();
    publisher.attach(first.asConfirmChannel());
    const results = publishN(publisher, 4);
    first.die();
    const second = new ScriptedChannel();
    publisher.attach(second.asConfirmChannel());
    expect(second.sent.map((s) => s.routingKey)).toEqual(['m0', 'm1']);
    second.ackAll();
    second.ackAll();
    await expect(Promise.all(results)).resolves.toHaveLength(4);
    expect(second.sent.map((s) => s.routingKey)).toEqual(['m0', 'm1', 'm2', 'm3']);
  });

  it('after a channel error re-sends one at a time, so only the culprit fails', async () => {
    const publisher = new ConfirmPublisher(log, 10);
    const first = new ScriptedChannel();
    publisher.attach(first.asConfirmChannel());
    const results = publishN(publisher, 3).map((p) =>
      p.then(
        () => 'ok',
        (e: unknown) => e,
      ),
    );
    first.die(new Error('NOT_FOUND - no exchange'));

    const second = new ScriptedChannel();
    publisher.attach(second.asConfirmChannel());
    expect(second.inFlight).toBe(1);
    second.ackAll(); // m0 is fine
    expect(second.inFlight).toBe(1); // m1, alone
    second.die(new Error('NOT_FOUND - no exchange')); // m1 was the culprit

    const third = new ScriptedChannel();
    publisher.attach(third.asConfirmChannel());
    third.ackAll();
    const [r0, r1, r2] = await Promise.all(results);
    expect(r0).toBe('ok');
    expect(r1).toBeInstanceOf(AmqpPublishError);
    expect(r1).toMatchObject({ failure: 'channel-error', routingKey: 'm1' });
    expect(r2).toBe('ok');
  });

  it('rejects a broker nack as retryable and a returned mandatory message as unroutable', async () => {
    const publisher = new ConfirmPublisher(log, 10);
    const channel = new ScriptedChannel();
    publisher.attach(channel.asConfirmChannel());
    const [nacked, returned] = publishN(publisher, 2, true);
    channel.sent[0]?.confirm(new Error('message nacked'));
    // The broker sends basic.return (with no delivery tag) before the ack of the same message.
    channel.emit('return', { fields: { exchange: '', routingKey: 'm1' }, content: Buffer.from('{"i":1}') });
    channel.sent[1]?.confirm(null);
    await expect(nacked).rejects.toMatchObject({ failure: 'nacked', retryable: true });
    await expect(returned).rejects.toMatchObject({ failure: 'unroutable', retryable: false });
  });

  it('stops writing when the socket buffer is full until the channel drains', async () => {
    const publisher = new ConfirmPublisher(log, 10);
    const channel = new ScriptedChannel();
    channel.writable = false;
    publisher.attach(channel.asConfirmChannel());
    const results = publishN(publisher, 3);
    expect(channel.sent).toHaveLength(1);
    channel.writable = true;
    channel.emit('drain');
    expect(channel.sent).toHaveLength(3);
    channel.ackAll();
    await expect(Promise.all(results)).resolves.toHaveLength(3);
  });

  it('on close rejects what is unconfirmed and every later publish', async () => {
    const publisher = new ConfirmPublisher(log, 1);
    const channel = new ScriptedChannel();
    publisher.attach(channel.asConfirmChannel());
    const results = publishN(publisher, 2);
    const idle = publisher.whenIdle();
    publisher.close();
    await expect(Promise.all(results)).rejects.toMatchObject({ failure: 'closed' });
    await expect(idle).resolves.toBeUndefined();
    await expect(publisher.publish('', 'late', Buffer.from('{}'), {})).rejects.toMatchObject({
      failure: 'closed',
      routingKey: 'late',
    });
    // A confirm arriving after the close changes nothing.
    expect(() => channel.ackAll()).not.toThrow();
  });
});
