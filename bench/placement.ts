/**
 * Placement benchmark (docs/performance.md, Targets: placement with 1,000 advertised workers ≤ 2×
 * the time with 10). Pure CPU, no servers. See bench/README.md for how to run it.
 *
 * 1. Time per request of greedy placement against 10, 100 and 1,000 workers, in a steady state where
 *    each placed task finishes at once and a worker re-advertises every tenth request; a linear scan
 *    over all workers is measured alongside to show what the index saves.
 * 2. Bursts of 1,000 tasks over 100 workers with random capabilities: tasks placed and time taken by
 *    greedy placement and by max-flow batch placement.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import type { WorkerAdvertisement } from '@wlm/commons/advertisement';
import { CapacityIndex, GreedyPlacement, canRun } from '@wlm/scheduler';
import type { PlacementRequest } from '@wlm/scheduler';
import { seededRandom } from '@wlm/scripts';
import { placeGreedily } from './batch-placement';
import { MaxFlowBatchPlacement } from './max-flow-batch-placement';

const TASK_TYPES = [
  'echo',
  'shell',
  'env-setup',
  'data-staging',
  'job-submission',
  'ml-train',
  'render',
  'qc',
];
const SITES = ['bigred', 'iu', 'tacc', 'sdsc'];
const VERSIONS = ['1.0.0', '1.1.0', '2.0.0'];

function pick<T>(next: () => number, items: readonly T[]): T {
  return items[Math.floor(next() * items.length)] as T;
}

interface WorkerShape {
  typesPerWorker: () => number;
  slots: () => number;
  freeSlots: (slots: number) => number;
}

/** Worker i serves task type i mod 8 and site i mod 4, so even 10 workers cover every type and site. */
function makeWorkers(count: number, next: () => number, shape: WorkerShape): WorkerAdvertisement[] {
  return Array.from({ length: count }, (_, i): WorkerAdvertisement => {
    const own = TASK_TYPES[i % TASK_TYPES.length] as string;
    const others = TASK_TYPES.filter((t) => t !== own).sort(() => next() - 0.5);
    const types = [own, ...others.slice(0, shape.typesPerWorker() - 1)];
    const slots = shape.slots();
    return {
      role: 'worker',
      workerId: `w${String(i).padStart(4, '0')}`,
      queue: `wlm.worker.w${i}`,
      slots,
      freeSlots: shape.freeSlots(slots),
      taskTypes: Object.fromEntries(types.map((t) => [t, pick(next, VERSIONS)])),
      labels: { site: SITES[i % SITES.length] as string },
    };
  });
}

/** Half the requests plain, a quarter needing a site, a quarter a minimum plugin version. */
function makeRequests(count: number, next: () => number): PlacementRequest[] {
  return Array.from({ length: count }, (): PlacementRequest => {
    const taskType = pick(next, TASK_TYPES);
    const kind = next();
    const priority = Math.floor(next() * 10);
    if (kind < 0.5) return { taskType, priority };
    if (kind < 0.75) return { taskType, priority, constraints: { labels: { site: pick(next, SITES) } } };
    return { taskType, priority, constraints: { minPluginVersion: '1.1.0' } };
  });
}

/** What placement would cost without the index: look at every worker for every request. */
function scanBest(
  workers: readonly WorkerAdvertisement[],
  free: Map<string, number>,
  request: PlacementRequest,
) {
  let best: WorkerAdvertisement | undefined;
  let bestFree = 0;
  for (const worker of workers) {
    const slots = free.get(worker.workerId) ?? 0;
    if (slots > bestFree && canRun(worker, request)) {
      best = worker;
      bestFree = slots;
    }
  }
  return best;
}

const ITERATIONS = 100_000;

/**
 * CPU time per request, not wall time: on a machine shared with brokers and databases, wall time
 * mostly measures who else had the cores.
 */
function nsPerRequest(
  run: (request: PlacementRequest, i: number) => void,
  requests: PlacementRequest[],
): number {
  for (let i = 0; i < 20_000; i += 1) run(requests[i % requests.length] as PlacementRequest, i);
  const start = process.cpuUsage();
  for (let i = 0; i < ITERATIONS; i += 1) run(requests[i % requests.length] as PlacementRequest, i);
  const { user, system } = process.cpuUsage(start);
  return ((user + system) * 1000) / ITERATIONS;
}

function measurePerRequest(workerCount: number) {
  const next = seededRandom(workerCount);
  const workers = makeWorkers(workerCount, next, {
    typesPerWorker: () => 2 + Math.floor(next() * 3),
    slots: () => 8,
    freeSlots: (slots) => Math.floor(next() * (slots + 1)),
  });
  const requests = makeRequests(4096, next);
  const readvertised = workers.map((w) => ({ ...w, freeSlots: Math.floor(next() * (w.slots + 1)) }));

  const index = new CapacityIndex();
  for (const worker of workers) index.upsert(worker);
  const placement = new GreedyPlacement(index);
  const greedy = nsPerRequest((request, i) => {
    const worker = placement.place(request);
    if (worker !== undefined) index.release(worker.workerId);
    if (i % 10 === 0) index.upsert(readvertised[i % readvertised.length] as WorkerAdvertisement);
  }, requests);

  const free = new Map(workers.map((w) => [w.workerId, w.freeSlots]));
  const scan = nsPerRequest((request, i) => {
    scanBest(workers, free, request);
    if (i % 10 === 0) {
      const ad = readvertised[i % readvertised.length] as WorkerAdvertisement;
      free.set(ad.workerId, ad.freeSlots);
    }
  }, requests);
  return { greedy, scan };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

function perRequestFigures() {
  const sizes = [10, 100, 1000];
  const samples = new Map(sizes.map((size) => [size, { greedy: [] as number[], scan: [] as number[] }]));
  // Rounds interleave the sizes so that JIT warm-up and machine noise fall on all of them alike.
  for (let round = 0; round < 5; round += 1) {
    for (const size of sizes) {
      const { greedy, scan } = measurePerRequest(size);
      samples.get(size)?.greedy.push(greedy);
      samples.get(size)?.scan.push(scan);
    }
  }
  return sizes.map((workers) => {
    const s = samples.get(workers) ?? { greedy: [], scan: [] };
    return {
      workers,
      greedyNsPerRequest: Math.round(median(s.greedy)),
      scanNsPerRequest: Math.round(median(s.scan)),
    };
  });
}

function timed<T>(run: () => T): { result: T; ms: number } {
  const start = process.cpuUsage();
  const result = run();
  const { user, system } = process.cpuUsage(start);
  return { result, ms: (user + system) / 1000 };
}

function burstFigures(tasks: number, workerCount: number, seeds: number[]) {
  return seeds.map((seed) => {
    const next = seededRandom(seed);
    // Two task types per worker, all slots free, about as many slots as tasks: the regime where a
    // placement choice decides whether a later task still fits.
    const workers = makeWorkers(workerCount, next, {
      typesPerWorker: () => 2,
      slots: () => 5 + Math.floor(next() * 11),
      freeSlots: (slots) => slots,
    });
    const requests = makeRequests(tasks, next);
    const greedy = timed(() => {
      const index = new CapacityIndex();
      for (const worker of workers) index.upsert(worker);
      return placeGreedily(new GreedyPlacement(index), requests);
    });
    const maxFlow = timed(() => new MaxFlowBatchPlacement().place(requests, workers));
    return {
      seed,
      tasks,
      workers: workerCount,
      freeSlots: workers.reduce((sum, w) => sum + w.freeSlots, 0),
      greedy: { placed: greedy.result.assignments.length, ms: Number(greedy.ms.toFixed(2)) },
      maxFlow: { placed: maxFlow.result.assignments.length, ms: Number(maxFlow.ms.toFixed(2)) },
    };
  });
}

function main(): void {
  const perRequest = perRequestFigures();
  const at = (n: number) => perRequest.find((row) => row.workers === n);
  const ratio = (key: 'greedyNsPerRequest' | 'scanNsPerRequest') =>
    Number(((at(1000)?.[key] ?? NaN) / (at(10)?.[key] ?? NaN)).toFixed(2));
  // Warm the burst code paths once before the measured runs.
  burstFigures(1000, 100, [99]);
  const bursts = burstFigures(1000, 100, [1, 2, 3, 4, 5]);
  const figures = {
    generatedAt: new Date().toISOString(),
    node: process.version,
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    perRequest,
    ratio1000to10: { greedy: ratio('greedyNsPerRequest'), scan: ratio('scanNsPerRequest'), target: 2 },
    bursts,
  };
  const dir = join(__dirname, '..', 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'placement.json');
  writeFileSync(file, `${JSON.stringify(figures, null, 2)}\n`);

  console.log('greedy placement, CPU ns per request: median of 5 rounds of 100,000 requests');
  console.table(perRequest);
  console.log(
    `1,000 vs 10 workers: greedy ${figures.ratio1000to10.greedy}× (target ≤ 2×), scan ${figures.ratio1000to10.scan}×`,
  );
  console.log('bursts of 1,000 tasks over 100 workers (CPU ms)');
  console.table(
    bursts.map((b) => ({
      seed: b.seed,
      freeSlots: b.freeSlots,
      greedyPlaced: b.greedy.placed,
      greedyMs: b.greedy.ms,
      maxFlowPlaced: b.maxFlow.placed,
      maxFlowMs: b.maxFlow.ms,
    })),
  );
  console.log(`written to ${file}`);
}

main();
