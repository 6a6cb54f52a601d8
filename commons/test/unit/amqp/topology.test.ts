import { MAX_PRIORITY, TIMER_DELAYS_MS, WlmTopology, mergeTopology, redactUrl } from '@wlm/commons/amqp';

describe('WlmTopology', () => {
  const topology = new WlmTopology();

  it('uses the names of the design under the default namespace', () => {
    expect(topology.exchanges).toEqual({
      events: 'wlm.events',
      control: 'wlm.control',
      deadLetter: 'wlm.dlx',
    });
    expect(topology.queues.deadLetter).toBe('wlm.dead-letter');
    expect(topology.queues.schedulerRequests).toBe('wlm.scheduler.requests');
    expect(topology.workerQueue('node-7')).toBe('wlm.worker.node-7');
    expect(topology.workerControlQueue('node-7')).toBe('wlm.worker.node-7.control');
  });

  it('prefixes every name with its namespace, so a test can isolate itself', () => {
    const isolated = new WlmTopology('t-123');
    const spec = mergeTopology(isolated.core(), isolated.worker('w1'));
    const names = [...spec.exchanges.map((e) => e.name), ...spec.queues.map((q) => q.name)];
    for (const name of names) expect(name.startsWith('t-123.')).toBe(true);
    for (const queue of spec.queues) {
      for (const binding of queue.bindings) expect(binding.exchange.startsWith('t-123.')).toBe(true);
    }
    expect(spec.deadLetterExchange).toBe('t-123.dlx');
  });

  it('declares durable classic priority queues for work, each dead-lettering into the DLX', () => {
    const spec = mergeTopology(topology.core(), topology.worker('w1'), topology.requests('gpu-sim'));
    const byName = new Map(spec.queues.map((queue) => [queue.name, queue]));
    for (const name of ['wlm.scheduler.requests', 'wlm.requests.gpu-sim', 'wlm.worker.w1']) {
      expect(byName.get(name)?.options).toMatchObject({
        durable: true,
        maxPriority: MAX_PRIORITY,
        deadLetterExchange: 'wlm.dlx',
        arguments: { 'x-queue-type': 'classic' },
      });
    }
    const delayQueues = new Set(TIMER_DELAYS_MS.map((delayMs) => topology.delayQueue(delayMs)));
    for (const queue of spec.queues.filter((q) => q.name !== 'wlm.dead-letter' && !delayQueues.has(q.name))) {
      expect(queue.options.deadLetterExchange).toBe('wlm.dlx');
    }
    // The dead-letter queue itself must not dead-letter, or a poison message could loop.
    expect(byName.get('wlm.dead-letter')?.options.deadLetterExchange).toBeUndefined();
    expect(byName.get('wlm.dead-letter')?.bindings).toEqual([{ exchange: 'wlm.dlx', pattern: '#' }]);
  });

  it('binds the orchestrator to every task event and the scheduler to the ones it acts on', () => {
    const queues = new Map(topology.core().queues.map((queue) => [queue.name, queue]));
    expect(queues.get('wlm.orchestrator.events')?.bindings).toEqual([
      { exchange: 'wlm.events', pattern: 'task.#' },
    ]);
    expect(queues.get('wlm.scheduler.events')?.bindings.map((b) => b.pattern)).toEqual([
      'task.running',
      'task.deferred',
      'task.completed',
      'task.failed',
      'task.cancelled',
    ]);
    expect(queues.get('wlm.scheduler.control')?.bindings).toEqual([
      { exchange: 'wlm.control', pattern: 'control.#' },
    ]);
  });

  it('gives the scheduler alerts queue a single active consumer, so one instance mails', () => {
    const alerts = topology.core().queues.find((queue) => queue.name === 'wlm.scheduler.alerts');
    expect(alerts?.options).toMatchObject({
      durable: true,
      deadLetterExchange: 'wlm.dlx',
      arguments: { 'x-single-active-consumer': true, 'x-queue-type': 'classic' },
    });
    expect(alerts?.bindings).toEqual([]);
  });

  it('names one request queue per task type, refusing a name that is not a task type', () => {
    expect(topology.requestQueue('gpu-sim')).toBe('wlm.requests.gpu-sim');
    expect(topology.requests('echo').queues.map((queue) => queue.name)).toEqual(['wlm.requests.echo']);
    expect(() => topology.requestQueue('Bad Type')).toThrow();
  });

  it('declares one delay queue per timer delay, each expiring in order into the timers queue', () => {
    const queues = new Map(topology.core().queues.map((queue) => [queue.name, queue]));
    for (const delayMs of TIMER_DELAYS_MS) {
      expect(queues.get(`wlm.scheduler.delay.${delayMs}`)?.options).toMatchObject({
        durable: true,
        messageTtl: delayMs,
        deadLetterExchange: '',
        deadLetterRoutingKey: 'wlm.scheduler.timers',
      });
    }
    expect(queues.get('wlm.scheduler.timers')?.options).toMatchObject({ deadLetterExchange: 'wlm.dlx' });
    expect(() => topology.delayQueue(1234)).toThrow(RangeError);
    expect(queues.get('wlm.scheduler.type-alerts')?.options).toMatchObject({
      arguments: { 'x-single-active-consumer': true },
    });
  });

  it('rejects a namespace or worker id that would break the naming scheme', () => {
    expect(() => new WlmTopology('a.b')).toThrow(RangeError);
    expect(() => new WlmTopology('')).toThrow(RangeError);
    expect(() => topology.workerQueue('../evil')).toThrow();
  });

  it('merges specs with each name once', () => {
    const merged = mergeTopology(
      topology.core(),
      topology.worker('a'),
      topology.worker('b'),
      topology.worker('a'),
    );
    const names = merged.queues.map((queue) => queue.name);
    expect(new Set(names).size).toBe(names.length);
    expect(names).toEqual(expect.arrayContaining(['wlm.worker.a', 'wlm.worker.b.control']));
    expect(new Set(merged.exchanges.map((e) => e.name))).toEqual(
      new Set(['wlm.dlx', 'wlm.events', 'wlm.control']),
    );
  });
});

describe('redactUrl', () => {
  it('hides the password and keeps the rest', () => {
    expect(redactUrl('amqp://guest:secret@127.0.0.1:5672/vh')).toBe('amqp://guest:***@127.0.0.1:5672/vh');
    expect(redactUrl('amqp://127.0.0.1')).toBe('amqp://127.0.0.1');
  });
});
