/**
 * The figures of `npm run bench`: each system's tasks/s, experiments/s and overhead on each shape,
 * with its ratio to the floor and to BullMQ of the same run, and a table of them for people.
 */
import { table } from '@wlm/scripts';
import type { ApiShapeRun } from './api-path';
import type { ShapeRun } from './bullmq-flows';
import type { RawPipelineResult } from './raw-amqp-pipeline';

type Skipped = { shape: string; skipped: string };

export interface BenchInput {
  readonly raw: RawPipelineResult | null;
  readonly bullmq: readonly ShapeRun[];
  readonly mock: readonly (ShapeRun | Skipped)[];
  readonly api: readonly ApiShapeRun[];
  readonly command: string;
  readonly machine: Record<string, unknown>;
}

interface Ratios {
  readonly tasksPerSecondToFloor: number | null;
  readonly tasksPerSecondToBullmq: number | null;
  readonly experimentsPerSecondToBullmq: number | null;
  readonly overheadP50ToFloor: number | null;
  readonly overheadP99ToFloor: number | null;
  readonly overheadP50ToBullmq: number | null;
  readonly overheadP99ToBullmq: number | null;
}

const ratio = (a: number, b: number | undefined): number | null =>
  b === undefined || !Number.isFinite(a) || !Number.isFinite(b) || b === 0
    ? null
    : Math.round((a / b) * 1000) / 1000;

function withRatios(run: ShapeRun, floor: RawPipelineResult | null, bullmq: ShapeRun | undefined): Ratios {
  // The floor's latency: three hops at half its peak, publish to the last consumer.
  const floorLatency = floor?.paced?.latencyMs;
  return {
    tasksPerSecondToFloor: ratio(run.tasksPerSecond, floor?.burst.msgsPerSecond),
    tasksPerSecondToBullmq: ratio(run.tasksPerSecond, bullmq?.tasksPerSecond),
    experimentsPerSecondToBullmq: ratio(run.experimentsPerSecond, bullmq?.experimentsPerSecond),
    overheadP50ToFloor: ratio(run.overheadMs.p50, floorLatency?.p50),
    overheadP99ToFloor: ratio(run.overheadMs.p99, floorLatency?.p99),
    overheadP50ToBullmq: ratio(run.overheadMs.p50, bullmq?.overheadMs.p50),
    overheadP99ToBullmq: ratio(run.overheadMs.p99, bullmq?.overheadMs.p99),
  };
}

export function benchReport(input: BenchInput) {
  // A variant of a shape (`chain4-async`, `-batch`, `-paced`, `-batch-stored`) is compared with
  // BullMQ on the shape itself.
  const bullmqOf = (shape: string) =>
    input.bullmq.find((run) => run.shape === shape.replace(/-(async|batch|paced)(-stored)?$/, ''));
  const rated = <T extends ShapeRun>(run: T | Skipped): (T & Ratios) | Skipped =>
    'skipped' in run ? run : { ...run, ...withRatios(run, input.raw, bullmqOf(run.shape)) };
  return {
    generatedAt: new Date().toISOString(),
    command: input.command,
    machine: input.machine,
    floor:
      input.raw === null
        ? null
        : {
            what: 'raw 3-hop amqplib pipeline: durable queues, persistent 1 KiB messages, confirms, manual acks',
            msgsPerSecond: input.raw.burst.msgsPerSecond,
            roundsMsgsPerSecond: input.raw.burst.roundsMsgsPerSecond,
            pacedHalfPeak: input.raw.paced,
            settings: input.raw.settings,
          },
    bullmq: input.bullmq.map(rated),
    wlmMock: input.mock.map(rated),
    wlmApi: input.api.map(rated),
  };
}

export type BenchReport = ReturnType<typeof benchReport>;

const figure = (value: number | null | undefined): string =>
  value === null || value === undefined || Number.isNaN(value) ? '-' : value.toLocaleString('en-US');

/** A plain-text table: one line per system and shape. */
export function formatReport(report: BenchReport): string {
  const header = [
    'system',
    'shape',
    'tasks',
    'tasks/s',
    '÷floor',
    '÷bullmq',
    'exp/s',
    'overhead p50/p99 ms',
    'created/s',
    'CPU ms/task',
  ];
  const floor = report.floor?.msgsPerSecond;
  const rows: string[][] =
    floor === undefined ? [] : [['floor', '3 hops', figure(floor), figure(floor), '1', '', '', '', '', '']];
  const cpuRows: string[][] = [];
  const systems = [
    ['bullmq', report.bullmq],
    ['wlm mock', report.wlmMock],
    ['wlm api', report.wlmApi],
  ] as const;
  for (const [name, runs] of systems) {
    for (const run of runs) {
      if ('skipped' in run) {
        rows.push([name, run.shape, `skipped: ${run.skipped}`, '', '', '', '', '', '', '']);
        continue;
      }
      const created = 'creation' in run ? figure((run as ApiShapeRun).creation.experimentsPerSecond) : '';
      rows.push([
        name,
        run.shape,
        `${figure(run.completedTasks)}${run.timedOut ? ` of ${figure(run.tasks)} (time limit)` : ''}`,
        figure(run.tasksPerSecond),
        figure(run.tasksPerSecondToFloor),
        figure(run.tasksPerSecondToBullmq),
        figure(run.experimentsPerSecond),
        `${figure(run.overheadMs.p50)} / ${figure(run.overheadMs.p99)}`,
        created,
        figure(run.cpu?.machineMs),
      ]);
      if (run.cpu !== undefined) {
        const byGroup = Object.entries(run.cpu.byGroupMs).map(([group, ms]) => `${group} ${figure(ms)}`);
        cpuRows.push([name, run.shape, figure(run.cpu.machineMs), byGroup.join(', ')]);
      }
    }
  }
  const hops = report.wlmApi.filter((run): run is Exclude<typeof run, Skipped> => !('skipped' in run));
  const byHop = hops.map((run) => [
    run.shape,
    ...[run.overheadByHopMs.orchestrator, run.overheadByHopMs.scheduler, run.overheadByHopMs.worker].map(
      (hop) => `${figure(hop.p50)} / ${figure(hop.p99)}`,
    ),
  ]);
  const sections = [table([header, ...rows]).join('\n')];
  if (byHop.length > 0) {
    sections.push(
      'wlm api overhead by hop, p50 / p99 ms (dependency end → request → placement → start):',
      table([['shape', 'orchestrator', 'scheduler', 'worker'], ...byHop]).join('\n'),
    );
  }
  if (cpuRows.length > 0) {
    sections.push(
      'CPU ms per task: the whole machine, and by process group (largest first):',
      table([['system', 'shape', 'machine', 'by group'], ...cpuRows]).join('\n'),
    );
  }
  return sections.join('\n\n');
}
