import { benchReport, formatReport } from '../../bench-report';
import type { ApiShapeRun } from '../../api-path';
import type { ShapeRun } from '../../bullmq-flows';
import type { RawPipelineResult } from '../../raw-amqp-pipeline';

const latency = (p50: number, p99: number) => ({ samples: 10, p50, p99, max: p99 });

function shapeRun(
  shape: string,
  tasksPerSecond: number,
  experimentsPerSecond: number,
  p50: number,
): ShapeRun {
  return {
    shape,
    experiments: 100,
    tasks: 400,
    completedTasks: 400,
    timedOut: false,
    elapsedMs: 1_000,
    tasksPerSecond,
    experimentsPerSecond,
    overheadMs: latency(p50, p50 * 2),
  };
}

function apiRun(shape: string, tasksPerSecond: number, experimentsPerSecond: number): ApiShapeRun {
  return {
    ...shapeRun(shape, tasksPerSecond, experimentsPerSecond, 100),
    overheadByHopMs: { orchestrator: latency(50, 90), scheduler: latency(30, 60), worker: latency(20, 40) },
    creation: { mode: 'one by one', clients: 8, created: 100, elapsedMs: 2_000, experimentsPerSecond: 50 },
    cpu: { machineMs: 7.5, byGroupMs: { rabbitmq: 1.5, orchestrator: 0.75 } },
  };
}

const floor: RawPipelineResult = {
  hops: 3,
  rabbitmq: '3.10.8',
  settings: { prefetch: 250, maxInFlight: 1000, messageBytes: 1024, durable: true, persistent: true },
  burst: {
    messages: 3000,
    elapsedMs: 1000,
    msgsPerSecond: 4000,
    latencyMs: latency(4, 20),
    roundsMsgsPerSecond: [4000],
  },
  paced: { targetRate: 2000, messages: 2000, achievedRate: 2000, latencyMs: latency(5, 25) },
};

function report(raw: RawPipelineResult | null = floor) {
  return benchReport({
    raw,
    bullmq: [shapeRun('chain4', 2_000, 500, 10), shapeRun('fan50', 3_000, 60, 600)],
    mock: [shapeRun('chain4', 250, 62.5, 3_000), { shape: 'dag10k', skipped: 'too large for the mock' }],
    api: [
      apiRun('chain4', 100, 25),
      apiRun('chain4-async', 200, 50),
      apiRun('chain4-batch-stored', 250, 62.5),
      apiRun('seed1-batch', 260, 260),
    ],
    command: 'npm run bench',
    machine: { cores: 2 },
  });
}

describe('benchReport', () => {
  it("rates every run against the floor and against BullMQ's run of the same shape", () => {
    const [chain4] = report().wlmApi;
    expect(chain4).toMatchObject({
      tasksPerSecondToFloor: 0.025,
      tasksPerSecondToBullmq: 0.05,
      experimentsPerSecondToBullmq: 0.05,
      overheadP50ToFloor: 20,
      overheadP50ToBullmq: 10,
    });
  });

  it('compares the variants of a shape with BullMQ on the shape itself, and a shape BullMQ did not run with none', () => {
    const [, async, batchStored, seed] = report().wlmApi;
    expect(async).toMatchObject({ tasksPerSecondToBullmq: 0.1 });
    expect(batchStored).toMatchObject({ tasksPerSecondToBullmq: 0.125 });
    expect(seed).toMatchObject({ tasksPerSecondToBullmq: null, tasksPerSecondToFloor: 0.065 });
  });

  it('passes a skipped shape through, and has no floor ratios without a floor', () => {
    const withoutFloor = report(null);
    expect(withoutFloor.floor).toBeNull();
    expect(withoutFloor.wlmMock[1]).toEqual({ shape: 'dag10k', skipped: 'too large for the mock' });
    expect(withoutFloor.wlmMock[0]).toMatchObject({
      tasksPerSecondToFloor: null,
      tasksPerSecondToBullmq: 0.125,
    });
  });
});

describe('formatReport', () => {
  it("prints one row per system and shape, the API's hops, and the CPU by group", () => {
    const text = formatReport(report());
    const rows = text.split('\n');
    expect(rows.find((row) => row.startsWith('floor'))).toMatch(/3 hops\s+4,000\s+4,000\s+1/);
    expect(rows.find((row) => row.startsWith('wlm api   chain4-async'))).toMatch(/200\s+0\.05\s+0\.1\s+50/);
    expect(rows.find((row) => row.startsWith('wlm mock  dag10k'))).toContain(
      'skipped: too large for the mock',
    );
    expect(text).toContain('wlm api overhead by hop');
    expect(rows.find((row) => row.startsWith('chain4-batch-stored'))).toMatch(
      /50 \/ 90\s+30 \/ 60\s+20 \/ 40/,
    );
    expect(rows.find((row) => /^wlm api\s+seed1-batch/.test(row) && row.includes('rabbitmq'))).toContain(
      'rabbitmq 1.5, orchestrator 0.75',
    );
  });
});
