import { DagGraph } from '@wlm/commons/dag';
import type { TaskEvent } from '@wlm/commons/wire';
import { DagDriver } from '../../../src/mock-orchestrator/dag-driver';
import { generateDag } from '../../../src/mock-orchestrator/dag-generator';
import { ProgressMeter, formatProgressLine } from '../../../src/mock-orchestrator/progress';
import { buildSummary, formatSummary } from '../../../src/mock-orchestrator/summary';

const T0 = Date.parse('2026-03-01T10:00:00.000Z');
const graph = DagGraph.from(generateDag({ shape: 'chain', tasks: 2 }));

function completed(experimentId: string, taskId: string): TaskEvent {
  return {
    v: 1,
    state: 'COMPLETED',
    experimentId,
    run: 1,
    taskId,
    attempt: 1,
    at: new Date(T0).toISOString(),
    workerId: 'w1',
    outputs: {},
  };
}

function driverWith(failing: boolean): DagDriver {
  const driver = new DagDriver([
    { experimentId: 'e1', priority: 9, graph },
    { experimentId: 'e2', priority: 1, graph },
  ]);
  driver.start(T0);
  driver.onEvent(completed('e1', 't0'), T0 + 10);
  driver.onEvent(completed('e1', 't1'), T0 + 30);
  driver.onEvent(completed('e2', 't0'), T0 + 40);
  if (failing) driver.onPublishFailed('e2', 't1', 'unroutable');
  else driver.onEvent(completed('e2', 't1'), T0 + 50);
  return driver;
}

const input = { runId: 'r1', namespace: 'wlm', shape: 'chain', elapsedMs: 2000 } as const;

describe('buildSummary', () => {
  it('is ok with every DAG completed, and carries counts, rate and per-priority latency', () => {
    const summary = buildSummary({ ...input, driver: driverWith(false), ending: 'finished' });
    expect(summary).toMatchObject({
      outcome: 'completed',
      ok: true,
      dags: 2,
      tasks: 4,
      completed: 4,
      failed: 0,
      retried: 0,
      tasksPerSecond: 2,
    });
    expect(summary.latency.publishToCompleted.byPriority.map((l) => l.priority)).toEqual([9, 1]);
    expect(summary.latency.publishToRunning.overall.count).toBe(0);
  });

  it('is not ok when a task failed, the time ran out or the run was interrupted', () => {
    expect(buildSummary({ ...input, driver: driverWith(true), ending: 'finished' })).toMatchObject({
      outcome: 'failed',
      ok: false,
      failed: 1,
    });
    expect(buildSummary({ ...input, driver: driverWith(false), ending: 'timeout' }).outcome).toBe(
      'timed-out',
    );
    expect(buildSummary({ ...input, driver: driverWith(false), ending: 'interrupted' }).ok).toBe(false);
  });

  it('survives a JSON round trip unchanged (what --json prints)', () => {
    const summary = buildSummary({ ...input, driver: driverWith(true), ending: 'finished' });
    expect(JSON.parse(JSON.stringify(summary))).toEqual(summary);
  });
});

describe('formatSummary', () => {
  it('names the outcome, the counts, a latency row per priority and the failures', () => {
    const text = formatSummary(buildSummary({ ...input, driver: driverWith(true), ending: 'finished' })).join(
      '\n',
    );
    expect(text).toMatch(/run r1 \(namespace wlm, chain\): failed/);
    expect(text).toMatch(/tasks +4: 3 completed, 1 failed, 0 retried, 0 skipped, 0 in flight/);
    expect(text).toMatch(/publish -> COMPLETED \(ms\)\n.*priority.*\n +9 +2 /);
    expect(text).toMatch(/publish -> RUNNING: no samples/);
    expect(text).toMatch(/e2 t1 attempt 1 \[PUBLISH_FAILED\]: unroutable/);
  });
});

describe('ProgressMeter', () => {
  it('reports the rate since the previous sample and counts skipped tasks as done', () => {
    const driver = driverWith(false);
    const meter = new ProgressMeter(T0);
    const first = meter.sample(driver.counts(), T0 + 500);
    expect(first).toMatchObject({ done: 4, total: 4, completed: 4, tasksPerSecond: 8, elapsedMs: 500 });
    expect(meter.sample(driver.counts(), T0 + 1500).tasksPerSecond).toBe(0);
    expect(formatProgressLine(first, 10)).toMatch(/^\[#{10}\] 4\/4 tasks 100% {2}8 tasks\/s {2}0 failed/);
  });

  it('draws a partly filled bar', () => {
    const line = formatProgressLine(
      {
        done: 25,
        total: 100,
        completed: 25,
        failed: 0,
        retried: 0,
        inFlight: 3,
        elapsedMs: 1000,
        tasksPerSecond: 25,
      },
      8,
    );
    expect(line).toMatch(/^\[##------\] {2}25\/100 tasks {2}25%/);
  });
});
