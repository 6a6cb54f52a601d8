import { EventEmitter } from 'node:events';
import { createLogger } from '@wlm/commons/logging';
import { PROTOCOL_FAILURE_CODES } from '@wlm/commons/wire';
import type { TaskEvent } from '@wlm/commons/wire';
import { DagCatalog } from '../../../src/engine/dag-catalog';
import type { DispatchGroup } from '../../../src/engine/dispatcher';
import type { EngineEvents } from '../../../src/engine/engine-events';
import { EventProcessor } from '../../../src/engine/event-processor';
import { QueuedInDag } from '../../../src/engine/queued-in-dag';
import type { EventSteps } from '../../../src/engine/event-processor';
import type { FailureDetails } from '../../../src/engine/experiment-driver';
import { RunAttempts } from '../../../src/engine/run-attempts';
import { ExperimentNotFoundError } from '../../../src/errors/experiment-not-found-error';
import type { Experiment } from '../../../src/domain/records';
import { MemoryDags, MemoryStates, PIPELINE } from './support/memory-stores';

/*
 * The leader's event path on its own: the stores are in memory (forward only, deduplicated, as the
 * real ones), the experiment steps it takes (fail, stop, complete, dispatch) are journalled. What is
 * asserted is what it records, what it ignores, and which step it takes for which batch.
 */

const EXP = 'exp-1';
const AT = '2026-01-02T00:00:00.000Z';

/** The experiment steps, journalled; they change the experiment's state as the driver would. */
class Steps implements EventSteps {
  readonly taken: string[] = [];
  readonly dispatched: string[] = [];
  readonly askedToComplete: string[] = [];

  constructor(
    private readonly states: MemoryStates,
    private readonly dags: MemoryDags,
  ) {}

  fail(experimentId: string, reason: string, details: FailureDetails): Promise<void> {
    return this.stop(experimentId, 'FAILED', reason, details);
  }

  async stop(
    experimentId: string,
    to: 'FAILED' | 'CANCELLED',
    reason: string,
    details: FailureDetails,
  ): Promise<void> {
    const blamed = 'taskId' in details ? ` (${details.taskId}#${details.attempt})` : '';
    this.taken.push(`${to} ${experimentId}${blamed}: ${reason}`);
    this.setState(experimentId, to);
  }

  /** Completes those whose every node is executed, as the driver's query would find. */
  async completeManyIfDone(experiments: readonly Pick<Experiment, 'id' | 'run'>[]): Promise<Set<string>> {
    const done = new Set<string>();
    for (const { id, run } of experiments) {
      this.askedToComplete.push(id);
      const dag = await this.dags.getConcreteDag(id, run);
      if (dag?.tasks.every((task) => task.isExecuted) !== true) continue;
      this.taken.push(`COMPLETED ${id}`);
      this.setState(id, 'COMPLETED');
      done.add(id);
    }
    return done;
  }

  async dispatch(groups: readonly DispatchGroup[]): Promise<void> {
    for (const { experiment, tasks, reason } of groups) {
      for (const task of tasks) {
        this.dispatched.push(`${experiment.id}/${experiment.run} ${task.taskId}#${task.attempt} ${reason}`);
      }
    }
  }

  private setState(id: string, state: Experiment['state']): void {
    const experiment = this.states.experiments.get(id);
    if (experiment !== undefined) experiment.state = state;
  }
}

function setUp(experiment: Partial<Experiment> = {}, firstAttempt = 0) {
  const states = new MemoryStates();
  const dags = new MemoryDags();
  const created = states.addExperiment(EXP, experiment);
  dags.instantiate(PIPELINE, EXP, created.run, firstAttempt);
  const steps = new Steps(states, dags);
  const events = new EventEmitter<EngineEvents>();
  const applied: string[] = [];
  events.on('events:applied', (batch) => applied.push(...batch.map(label)));
  const queuedInDag = new QueuedInDag();
  const processor = new EventProcessor(
    {
      states,
      dags,
      catalog: new DagCatalog(dags),
      runAttempts: new RunAttempts(dags),
      queuedInDag,
      logger: createLogger({ component: 'test', level: 'silent', pretty: false }),
      events,
    },
    steps,
  );
  return { states, dags, steps, processor, applied, queuedInDag };
}

const label = (event: TaskEvent): string => `${event.taskId}#${event.attempt} ${event.state}`;

const identity = (taskId: string, attempt: number, run = 1) =>
  ({ v: 1, experimentId: EXP, run, taskId, attempt, at: AT }) as const;

const queued = (taskId: string, attempt = 1, run = 1): TaskEvent => ({
  ...identity(taskId, attempt, run),
  state: 'QUEUED',
  workerId: 'w1',
  assignmentId: `as-${taskId}-${attempt}`,
});
const running = (taskId: string, attempt = 1, run = 1): TaskEvent => ({
  ...identity(taskId, attempt, run),
  state: 'RUNNING',
  workerId: 'w1',
});
const completed = (taskId: string, attempt = 1, run = 1): TaskEvent => ({
  ...identity(taskId, attempt, run),
  state: 'COMPLETED',
  workerId: 'w1',
  outputs: { msg: `from ${taskId}` },
});
const failed = (taskId: string, attempt: number, retryable: boolean, errorCode?: string): TaskEvent => ({
  ...identity(taskId, attempt),
  state: 'FAILED',
  reason: 'exit code 1',
  retryable,
  ...(errorCode === undefined ? { workerId: 'w1' } : { errorCode }),
});

describe('EventProcessor', () => {
  it('records a completion in both stores, then dispatches the dependents that became ready', async () => {
    const { states, dags, steps, processor, applied } = setUp();
    const failures = await processor.process([queued('a'), running('a'), completed('a')]);

    expect(failures.size).toBe(0);
    expect(states.runStates(EXP)).toEqual(['a#1 COMPLETED']);
    expect(dags.node(EXP, 1, 'a')).toMatchObject({ isExecuted: true, outputs: { msg: 'from a' } });
    expect(applied).toEqual(['a#1 QUEUED', 'a#1 RUNNING', 'a#1 COMPLETED']);
    // `a` is no sink: nothing to complete; `b` goes out with the node's attempt (0 before its first dispatch).
    expect(steps.askedToComplete).toEqual([]);
    expect(steps.dispatched).toEqual(['exp-1/1 b#0 ready']);
    expect(steps.taken).toEqual([]);
  });

  it('leaves out of Neo4j a QUEUED this process committed there, and still records it, with its worker, in MySQL', async () => {
    const { states, dags, processor, queuedInDag } = setUp();
    const recordTaskEvents = jest.spyOn(dags, 'recordTaskEvents');
    const neo4jChanges = () =>
      recordTaskEvents.mock.calls.map(([, changes]) =>
        changes.map((c) => `${c.taskId}#${c.attempt} ${c.state}`),
      );
    queuedInDag.remember([{ experimentId: EXP, run: 1, taskId: 'a', attempt: 1, state: 'QUEUED' }]);

    await processor.process([queued('a'), queued('b', 2)]);

    expect(neo4jChanges()).toEqual([['b#2 QUEUED']]);
    expect(
      [...states.taskRuns.values()].map((r) => `${r.taskId}#${r.attempt} ${r.state} ${r.workerId}`),
    ).toEqual(['a#1 QUEUED w1', 'b#2 QUEUED w1']);
    // Taken once: the same QUEUED again (a redelivery) is written, which changes nothing either.
    await processor.process([queued('a')]);
    expect(neo4jChanges()).toEqual([['b#2 QUEUED'], ['a#1 QUEUED']]);
  });

  it('records the progress and log tails of a batch in the same MySQL call as its task runs', async () => {
    const { states, processor } = setUp();
    const recordTaskRuns = jest.spyOn(states, 'recordTaskRuns');
    const progress: TaskEvent = {
      ...identity('a', 1),
      state: 'PROGRESS',
      workerId: 'w1',
      message: 'half way',
      percent: 50,
    };

    await processor.process([progress, { ...completed('a'), logTail: 'done\n' } as TaskEvent]);

    expect(recordTaskRuns).toHaveBeenCalledTimes(1);
    expect(
      recordTaskRuns.mock.calls[0]?.[0].taskRuns?.map((r) => `${r.taskId}#${r.attempt} ${r.state}`),
    ).toEqual(['a#1 COMPLETED']);
    expect(states.reports).toEqual([
      expect.objectContaining({
        taskId: 'a',
        attempt: 1,
        progress: expect.objectContaining({ percent: 50 }),
      }),
      expect.objectContaining({
        taskId: 'a',
        attempt: 1,
        logTail: expect.objectContaining({ text: 'done\n' }),
      }),
    ]);
  });

  it('completes the experiment when its sink completes, and dispatches nothing more', async () => {
    const { states, steps, processor } = setUp();
    await processor.process([completed('a')]);
    steps.dispatched.length = 0;

    await processor.process([completed('b')]);

    expect(steps.askedToComplete).toEqual([EXP]);
    expect(steps.taken).toEqual([`COMPLETED ${EXP}`]);
    expect(states.experiments.get(EXP)?.state).toBe('COMPLETED');
    expect(steps.dispatched).toEqual([]);
  });

  it('moves task states forward only: a late RUNNING after COMPLETED changes nothing and dispatches nothing', async () => {
    const { states, dags, steps, processor } = setUp();
    await processor.process([completed('a'), running('a')]);
    await processor.process([running('a')]);
    const dispatchedAfterCompletion = [...steps.dispatched];

    expect(states.runStates(EXP)).toEqual(['a#1 COMPLETED']);
    expect(dags.node(EXP, 1, 'a')).toMatchObject({ state: 'COMPLETED', isExecuted: true });
    // Only the batch with the completion dispatched `b`; the late RUNNING alone took no step.
    expect(dispatchedAfterCompletion).toEqual(['exp-1/1 b#0 ready']);
    expect(steps.taken).toEqual([]);
  });

  it('is idempotent for a redelivered batch: the same records, the same attempt dispatched again', async () => {
    const { states, dags, steps, processor } = setUp();
    const batch = [queued('a'), completed('a')];
    await processor.process(batch);
    const records = { runs: states.runStates(EXP), audit: [...states.audit.keys()] };

    await processor.process(batch);

    expect({ runs: states.runStates(EXP), audit: [...states.audit.keys()] }).toEqual(records);
    expect(records.audit).toHaveLength(2);
    expect(dags.node(EXP, 1, 'a')).toMatchObject({ isExecuted: true, attempt: 1 });
    // A redone batch dispatches what a crash may have kept from going out; consumers drop the duplicate.
    expect(steps.dispatched).toEqual(['exp-1/1 b#0 ready', 'exp-1/1 b#0 ready']);
    expect(steps.taken).toEqual([]);
  });

  it('ignores a late event of an earlier run, and one below the current run’s first attempt', async () => {
    // Run 2 starts every node at attempt 4: anything of run 1, or of an attempt under 4, is late.
    const { states, steps, processor, applied } = setUp({ run: 2 }, 4);
    const failures = await processor.process([completed('a', 1, 1), { ...failed('a', 3, false), run: 2 }]);

    expect(failures.size).toBe(0);
    expect(states.runStates(EXP)).toEqual([]);
    expect(states.audit.size).toBe(0);
    expect(applied).toEqual([]);
    expect(steps.dispatched).toEqual([]);
    expect(steps.taken).toEqual([]);
    expect(states.experiments.get(EXP)?.state).toBe('RUNNING');

    await processor.process([completed('a', 4, 2)]);
    expect(steps.dispatched).toEqual(['exp-1/2 b#4 ready']);
  });

  it('drops a queue timeout (TASK_UNSCHEDULABLE) of an attempt a worker was given after all', async () => {
    const { states, steps, processor } = setUp();
    const timeout = failed('a', 1, false, PROTOCOL_FAILURE_CODES.unschedulable);
    await processor.process([queued('a')]);

    await processor.process([timeout]);

    expect(states.runStates(EXP)).toEqual(['a#1 QUEUED']);
    expect(steps.taken).toEqual([]);
    expect(states.experiments.get(EXP)?.state).toBe('RUNNING');
  });

  it('fails the experiment on a queue timeout of an attempt never placed', async () => {
    const { states, steps, processor } = setUp();

    await processor.process([failed('a', 1, false, PROTOCOL_FAILURE_CODES.unschedulable)]);

    expect(states.runStates(EXP)).toEqual(['a#1 FAILED']);
    expect(steps.taken).toEqual([`FAILED ${EXP} (a#1): task a failed (attempt 1): exit code 1`]);
  });

  it('leaves a retryable failure to the scheduler and takes the next attempt’s events', async () => {
    const { states, dags, steps, processor } = setUp();
    await processor.process([running('a', 1), failed('a', 1, true)]);

    expect(steps.taken).toEqual([]);
    expect(dags.node(EXP, 1, 'a')).toMatchObject({ state: 'FAILED', attempt: 1 });

    await processor.process([queued('a', 2), running('a', 2), completed('a', 2)]);

    expect(states.runStates(EXP)).toEqual(['a#1 FAILED', 'a#2 COMPLETED']);
    expect(dags.node(EXP, 1, 'a')).toMatchObject({ isExecuted: true, attempt: 2 });
    expect(steps.dispatched).toEqual(['exp-1/1 b#0 ready']);
    expect(steps.taken).toEqual([]);
  });

  it('fails the experiment on a final failure, and dispatches nothing for it in the same batch', async () => {
    const { states, steps, processor } = setUp();
    await processor.process([completed('a')]);
    steps.dispatched.length = 0;

    await processor.process([completed('a'), failed('b', 1, false)]);

    expect(steps.taken).toEqual([`FAILED ${EXP} (b#1): task b failed (attempt 1): exit code 1`]);
    expect(states.experiments.get(EXP)?.state).toBe('FAILED');
    expect(steps.dispatched).toEqual([]);
  });

  it('ignores a final failure superseded by a later attempt', async () => {
    const { steps, processor } = setUp();
    await processor.process([queued('a', 2)]);

    await processor.process([failed('a', 1, false)]);

    expect(steps.taken).toEqual([]);
  });

  it('cancels the experiment when someone else cancelled one of its tasks, not for a cancel from before it ran', async () => {
    const { steps, processor } = setUp({ updatedAt: new Date('2026-01-03T00:00:00Z') });
    const cancel = (at: string): TaskEvent => ({
      ...identity('a', 1),
      at,
      state: 'CANCELLED',
      reason: 'operator',
    });

    await processor.process([cancel(AT)]);
    expect(steps.taken).toEqual([]);

    await processor.process([cancel('2026-01-04T00:00:00.000Z')]);
    expect(steps.taken).toEqual([`CANCELLED ${EXP} (a#1): task a was cancelled (attempt 1): operator`]);
  });

  it('fails only the events of an unknown experiment and handles the rest', async () => {
    const { steps, processor } = setUp();
    const stray: TaskEvent = { ...completed('a'), experimentId: 'nobody' };

    const failures = await processor.process([stray, completed('a')]);

    expect([...failures.keys()]).toEqual([stray]);
    expect(failures.get(stray)).toBeInstanceOf(ExperimentNotFoundError);
    expect(steps.dispatched).toEqual(['exp-1/1 b#0 ready']);
  });

  it.each(['states', 'dags'] as const)(
    'rejects the batch and acts on nothing when the %s write fails',
    async (store) => {
      const { states, dags, steps, processor, applied } = setUp();
      const outage = new Error(`${store} unavailable`);
      (store === 'states' ? states : dags).failWrites = outage;

      await expect(processor.process([completed('a')])).rejects.toBe(outage);

      // The caller acks only a batch that resolved: this one comes again and is redone.
      expect(applied).toEqual([]);
      expect(steps.dispatched).toEqual([]);
      expect(steps.askedToComplete).toEqual([]);
      expect(steps.taken).toEqual([]);
    },
  );
});
