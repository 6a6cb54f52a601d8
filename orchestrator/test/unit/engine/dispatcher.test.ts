import { EventEmitter } from 'node:events';
import { MessageValidationError } from '@wlm/commons/errors';
import { createLogger } from '@wlm/commons/logging';
import type { TaskRequestInput } from '@wlm/commons/wire';
import type { ReadyTask, TaskStateChange } from '../../../src/domain/dag-store';
import type { TaskRunBatch } from '../../../src/domain/state-store';
import type { DispatchGroup } from '../../../src/engine/dispatcher';
import { Dispatcher } from '../../../src/engine/dispatcher';
import type { EngineEvents } from '../../../src/engine/engine-events';
import type { EngineMessaging } from '../../../src/engine/messaging';
import { QueuedInDag } from '../../../src/engine/queued-in-dag';
import { MemoryDags, MemoryStates, PIPELINE, readyTask } from './support/memory-stores';
import type { MemoryNode } from './support/memory-stores';

/*
 * The dispatcher on its own: the broker and the stores are the test's. What is asserted is what it
 * publishes (attempt, run, priority, rendered params), in which order, and what it records — only
 * what the broker confirmed, only after it did.
 */

const EXP = 'exp-1';

/** One journal of publishes and store writes, in the order they happened. */
type Journal = string[];

/** Confirms publishes, or holds them until released, or refuses some with the error the test gives. */
class Broker implements Pick<EngineMessaging, 'publishTaskRequest'> {
  readonly requests: TaskRequestInput[] = [];
  readonly refusals = new Map<string, Error>();
  hold = false;
  private readonly holds: Array<() => void> = [];

  constructor(private readonly journal: Journal) {}

  async publishTaskRequest(request: TaskRequestInput): Promise<void> {
    this.journal.push(`publish ${request.taskId}#${request.attempt}`);
    if (this.hold) await new Promise<void>((resolve) => this.holds.push(resolve));
    const refusal = this.refusals.get(request.taskId);
    if (refusal !== undefined) throw refusal;
    this.requests.push(request);
  }

  get held(): number {
    return this.holds.length;
  }

  release(): void {
    for (const resolve of this.holds.splice(0)) resolve();
  }
}

class JournalledStates extends MemoryStates {
  constructor(private readonly journal: Journal) {
    super();
  }

  override async recordTaskRuns(batch: TaskRunBatch): Promise<void> {
    const runs = (batch.taskRuns ?? []).map((r) => `${r.taskId}#${r.attempt} ${r.state}`);
    this.journal.push(`mysql ${runs.join(', ')}`);
    await super.recordTaskRuns(batch);
  }
}

class JournalledDags extends MemoryDags {
  constructor(private readonly journal: Journal) {
    super();
  }

  override async setTaskStates(changes: readonly TaskStateChange[]) {
    this.journal.push(`neo4j ${changes.map((c) => `${c.taskId}#${c.attempt} ${c.state}`).join(', ')}`);
    return super.setTaskStates(changes);
  }
}

function setUp() {
  const journal: Journal = [];
  const states = new JournalledStates(journal);
  const dags = new JournalledDags(journal);
  states.addExperiment(EXP);
  dags.instantiate(PIPELINE, EXP, 1, 0);
  const broker = new Broker(journal);
  const events = new EventEmitter<EngineEvents>();
  const announced: string[] = [];
  events.on('tasks:dispatched', (requests) =>
    announced.push(...requests.map((r) => `${r.taskId}#${r.attempt}`)),
  );
  const queuedInDag = new QueuedInDag();
  const dispatcher = new Dispatcher(
    states,
    dags,
    broker,
    createLogger({ component: 'test', level: 'silent', pretty: false }),
    events,
    queuedInDag,
  );
  return { journal, states, dags, broker, dispatcher, announced, queuedInDag };
}

/** A ready node of `exp-1` run 1 in the given state and attempt. */
function node(
  taskId: string,
  state: MemoryNode['state'],
  attempt: number,
  params: MemoryNode['params'] = {},
): ReadyTask {
  return readyTask(EXP, 1, {
    taskId,
    taskType: 'echo',
    after: [],
    params,
    state,
    isExecuted: false,
    attempt,
    outputs: null,
  });
}

const group = (
  tasks: ReadyTask[],
  reason: DispatchGroup['reason'] = 'ready',
  priority = 7,
): DispatchGroup => ({
  experiment: { id: EXP, run: 1, priority },
  tasks,
  reason,
});

describe('Dispatcher', () => {
  it('publishes a request per node with its attempt, run, priority and rendered params, then records it QUEUED', async () => {
    const { journal, states, dags, broker, dispatcher, announced } = setUp();
    const a = dags.node(EXP, 1, 'a');
    Object.assign(a, { isExecuted: true, state: 'COMPLETED', attempt: 1, outputs: { msg: 'from a' } });
    const b = readyTask(EXP, 1, dags.node(EXP, 1, 'b'), new Map([['a', a]]));

    const result = await dispatcher.dispatch([group([b])]);
    await dispatcher.idle();

    expect(result).toEqual({ dispatched: 1, unrunnable: [] });
    expect(broker.requests).toEqual([
      expect.objectContaining({
        experimentId: EXP,
        run: 1,
        taskId: 'b',
        attempt: 1,
        priority: 7,
        context: { msg: 'from a' },
      }),
    ]);
    expect(announced).toEqual(['b#1']);
    expect(journal).toEqual(['publish b#1', 'mysql b#1 QUEUED', 'neo4j b#1 QUEUED']);
    expect(states.runStates(EXP)).toEqual(['b#1 QUEUED']);
    expect([...states.audit.keys()]).toEqual([`dispatch:${EXP}:1:b:1`]);
    expect(dags.node(EXP, 1, 'b')).toMatchObject({ state: 'QUEUED', attempt: 1 });
  });

  it('remembers the QUEUED it committed in Neo4j, and nothing whose Neo4j write failed', async () => {
    const { dags, dispatcher, queuedInDag } = setUp();
    const change = (taskId: string) => ({
      experimentId: EXP,
      run: 1,
      taskId,
      attempt: 1,
      state: 'QUEUED' as const,
    });

    await dispatcher.dispatch([group([node('a', 'PENDING', 0)])]);
    await dispatcher.idle();
    dags.failWrites = new Error('neo4j unavailable');
    await dispatcher.dispatch([group([node('b', 'PENDING', 0)])]);
    await dispatcher.idle();

    expect(queuedInDag.take(change('a'))).toBe(true);
    expect(queuedInDag.take(change('b'))).toBe(false);
  });

  it('picks each node’s attempt by why it is dispatched, and skips what is already in flight', async () => {
    const { broker, dispatcher } = setUp();

    await dispatcher.dispatch([
      group([node('fresh', 'PENDING', 0), node('inflight', 'QUEUED', 2)], 'ready'),
      group([node('lost', 'QUEUED', 2), node('left', 'FAILED', 2)], 'recover', 3),
      group([node('resumed', 'FAILED', 2), node('stopped', 'CANCELLED', 3)], 'resume', 9),
    ]);

    // In the order given; a request's priority is its experiment's.
    expect(broker.requests.map((r) => `${r.taskId}#${r.attempt} p${r.priority}`)).toEqual([
      'fresh#1 p7',
      'lost#2 p3',
      'resumed#3 p9',
      'stopped#4 p9',
    ]);
  });

  it('records nothing before the broker confirms', async () => {
    const { journal, states, broker, dispatcher } = setUp();
    broker.hold = true;

    const dispatching = dispatcher.dispatch([group([node('a', 'PENDING', 0)])]);
    for (let i = 0; i < 10 && broker.held === 0; i++) await Promise.resolve();
    await dispatcher.idle();

    expect(broker.held).toBe(1);
    expect(journal).toEqual(['publish a#1']);
    expect(states.taskRuns.size).toBe(0);

    broker.release();
    await dispatching;
    await dispatcher.idle();
    expect(journal).toEqual(['publish a#1', 'mysql a#1 QUEUED', 'neo4j a#1 QUEUED']);
  });

  it('leaves a request the broker could not take unrecorded, and reports the outage to the caller', async () => {
    const { states, dags, broker, dispatcher, announced } = setUp();
    const outage = Object.assign(new Error('socket closed'), { code: 'ECONNRESET' });
    broker.refusals.set('b', outage);

    const result = await dispatcher.dispatch([group([node('a', 'PENDING', 0), node('b', 'PENDING', 0)])]);
    await dispatcher.idle();

    expect(result).toEqual({ dispatched: 1, unrunnable: [], retryableFailure: outage });
    expect(announced).toEqual(['a#1']);
    expect(states.runStates(EXP)).toEqual(['a#1 QUEUED']);
    expect(dags.node(EXP, 1, 'b')).toMatchObject({ state: 'PENDING', attempt: 0 });
  });

  it('fails for good a request the wire refuses, or whose params cannot be rendered, without publishing the latter', async () => {
    const { states, dags, broker, dispatcher } = setUp();
    broker.refusals.set('a', new MessageValidationError('TaskRequest', ['context: too deep']));
    const unrenderable = node('b', 'PENDING', 0, { msg: '{{tasks.nowhere.outputs.msg}}' });

    const result = await dispatcher.dispatch([group([node('a', 'PENDING', 0), unrenderable])]);
    await dispatcher.idle();

    expect(broker.requests).toEqual([]);
    expect(result.dispatched).toBe(0);
    expect(result.retryableFailure).toBeUndefined();
    expect(result.unrunnable.map((t) => `${t.taskId}#${t.attempt}`).sort()).toEqual(['a#1', 'b#1']);
    expect(states.runStates(EXP)).toEqual(['a#1 FAILED', 'b#1 FAILED']);
    expect([...states.audit.keys()].sort()).toEqual([
      `task:${EXP}:1:a:1:FAILED:final`,
      `task:${EXP}:1:b:1:FAILED:final`,
    ]);
    expect(dags.node(EXP, 1, 'a')).toMatchObject({ state: 'FAILED', attempt: 1 });
  });

  it('resolves and leaves the nodes PENDING when recording a confirmed dispatch fails', async () => {
    const { states, dags, broker, dispatcher } = setUp();
    states.failWrites = new Error('mysql unavailable');
    dags.failWrites = new Error('neo4j unavailable');

    const result = await dispatcher.dispatch([group([node('a', 'PENDING', 0)])]);
    await dispatcher.idle();

    expect(result.dispatched).toBe(1);
    expect(broker.requests).toHaveLength(1);
    expect(states.taskRuns.size).toBe(0);
    // Whatever redoes the work (the event again, recovery) publishes the same attempt again.
    expect(dags.node(EXP, 1, 'a').state).toBe('PENDING');
  });
});
