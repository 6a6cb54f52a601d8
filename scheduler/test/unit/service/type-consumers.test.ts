import { EventEmitter } from 'node:events';
import { createLogger } from '@wlm/commons/logging';
import type { ConsumerHandle } from '@wlm/commons/amqp';
import type { WorkerRegistryEvents } from '../../../src/registry/registry-events';
import { TypeConsumers } from '../../../src/service/type-consumers';

/*
 * The coordination of the per-type consumers, with the broker's consume and cancel under the test's
 * control: what is consumed follows the served types, and each type starts and stops on its own.
 */

/** The served task types, changed by the test; `capacity` tells the consumers to look again. */
class Membership extends EventEmitter<WorkerRegistryEvents> {
  private types: string[] = [];
  readonly capacity = { taskTypes: (): IterableIterator<string> => this.types.values() };

  serve(...types: string[]): void {
    this.types = types;
    this.emit('capacity');
  }
}

/** A promise and the function that settles it. */
function gate(): { opened: Promise<void>; open: () => void } {
  let open = (): void => undefined;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open };
}

/** consume() and cancel() of one queue each, resolving when the test opens their gates. */
class Broker {
  readonly consuming = new Set<string>();
  readonly attempts = new Map<string, number>();
  readonly consumeGates = new Map<string, ReturnType<typeof gate>>();
  readonly cancelGates = new Map<string, ReturnType<typeof gate>>();
  failNext = new Set<string>();

  async consume(queue: string): Promise<ConsumerHandle> {
    this.attempts.set(queue, (this.attempts.get(queue) ?? 0) + 1);
    await this.consumeGates.get(queue)?.opened;
    if (this.failNext.delete(queue)) throw new Error(`channel closed while consuming ${queue}`);
    this.consuming.add(queue);
    return {
      queue,
      cancel: async () => {
        await this.cancelGates.get(queue)?.opened;
        this.consuming.delete(queue);
      },
    };
  }
}

const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

async function until(what: string, condition: () => boolean): Promise<void> {
  for (let turn = 0; turn < 200 && !condition(); turn += 1) await flush();
  if (!condition()) throw new Error(`never happened: ${what}`);
}

function consumers(membership: Membership, broker: Broker, released: string[], retryMs = 60_000) {
  return new TypeConsumers({
    amqp: { consume: (queue: string) => broker.consume(queue) } as never,
    topology: { requestQueue: (taskType: string) => `q.${taskType}` },
    registry: membership,
    logger: createLogger({ component: 'test', level: 'silent', pretty: false }),
    prefetch: 10,
    declare: async () => undefined,
    handler: async () => undefined,
    release: (taskType) => released.push(taskType),
    retryMs,
  });
}

describe('TypeConsumers', () => {
  let membership: Membership;
  let broker: Broker;
  let released: string[];
  let types: TypeConsumers;

  beforeEach(() => {
    membership = new Membership();
    broker = new Broker();
    released = [];
  });

  afterEach(async () => {
    for (const pending of [...broker.consumeGates.values(), ...broker.cancelGates.values()]) pending.open();
    await types.stop();
  });

  it('consumes exactly the served types, and releases what a type held when it stops', async () => {
    membership.serve('echo', 'shell');
    types = consumers(membership, broker, released);
    await types.start();
    expect(types.consumed().sort()).toEqual(['echo', 'shell']);

    membership.serve('shell', 'gpu-sim');
    await until(
      'echo stopped and gpu-sim consumed',
      () => types.consumed().sort().join() === 'gpu-sim,shell',
    );
    expect([...broker.consuming].sort()).toEqual(['q.gpu-sim', 'q.shell']);
    expect(released).toEqual(['echo']);
  });

  it('starts a newly served type while another type is still stopping', async () => {
    membership.serve('slow-to-stop');
    types = consumers(membership, broker, released);
    await types.start();
    const slowStop = gate();
    broker.cancelGates.set('q.slow-to-stop', slowStop);

    membership.serve();
    await until('the stop under way', () => released.includes('slow-to-stop'));
    membership.serve('fresh');
    await until('fresh consumed', () => types.consumed().includes('fresh'));
    // The other type's cancel has not finished: the new type did not wait for it.
    expect(broker.consuming.has('q.slow-to-stop')).toBe(true);

    slowStop.open();
    await until('the stop done', () => !broker.consuming.has('q.slow-to-stop'));
    expect(types.consumed()).toEqual(['fresh']);
  });

  it('consumes a type served again once its stop has ended, never twice at once', async () => {
    membership.serve('flapping');
    types = consumers(membership, broker, released);
    await types.start();
    const slowStop = gate();
    broker.cancelGates.set('q.flapping', slowStop);

    membership.serve();
    await until('the stop under way', () => released.includes('flapping'));
    membership.serve('flapping');
    await flush();
    expect(broker.attempts.get('q.flapping')).toBe(1);

    slowStop.open();
    await until('consumed again', () => types.consumed().includes('flapping'));
    expect(broker.attempts.get('q.flapping')).toBe(2);
  });

  it('tries a type whose consumer could not start again after the retry delay, not at once', async () => {
    jest.useFakeTimers({ doNotFake: ['setImmediate'] });
    try {
      broker.failNext.add('q.echo');
      membership.serve('echo');
      types = consumers(membership, broker, released, 2_000);
      await types.start();
      expect(types.consumed()).toEqual([]);
      for (let turn = 0; turn < 20; turn += 1) await flush();
      expect(broker.attempts.get('q.echo')).toBe(1);

      jest.advanceTimersByTime(2_000);
      await until('echo consumed after the delay', () => types.consumed().includes('echo'));
    } finally {
      jest.useRealTimers();
    }
  });
});
