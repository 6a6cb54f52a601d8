/**
 * The workload shapes every system of `npm run bench` runs (bench/README.md): a task graph per
 * experiment, the same for wlm (as a DAG definition) and BullMQ (as flows), so that every figure of
 * a shape counts the same tasks and the same dependencies.
 */
/** One task of a shape: its id and the ids it waits for. */
export interface ShapeTask {
  readonly id: string;
  readonly after: readonly string[];
}

export interface Shape {
  /** `chain4`, `fan50`, `dag10k`: also the suffix of the experiment type. */
  readonly name: string;
  readonly description: string;
  /** Experiments (or flows) of this shape a run submits. */
  readonly experiments: number;
  readonly tasks: readonly ShapeTask[];
}

/** The counts of a full run and of `--quick`, a run to try the bench out in a few minutes. */
export interface ShapeCounts {
  readonly chains: number;
  readonly fans: number;
  readonly fanWidth: number;
  readonly bigDagChains: number;
  readonly bigDagChainLength: number;
}

export const FULL_COUNTS: ShapeCounts = {
  chains: 1000,
  fans: 100,
  fanWidth: 50,
  bigDagChains: 100,
  bigDagChainLength: 100,
};
export const QUICK_COUNTS: ShapeCounts = {
  chains: 100,
  fans: 10,
  fanWidth: 50,
  bigDagChains: 10,
  bigDagChainLength: 100,
};

function chain(length: number, prefix: string, first: readonly string[]): ShapeTask[] {
  return Array.from({ length }, (_, i) => ({
    id: `${prefix}${i}`,
    after: i === 0 ? first : [`${prefix}${i - 1}`],
  }));
}

/** A chain of 4: a → b → c → d. */
function chainShape(experiments: number): Shape {
  return {
    name: 'chain4',
    description: `${experiments} experiments of a 4-task chain`,
    experiments,
    tasks: chain(4, 't', []),
  };
}

/** One root, `width` tasks after it, one sink after all of them. */
function fanShape(experiments: number, width: number): Shape {
  const middle = Array.from({ length: width }, (_, i) => ({ id: `m${i}`, after: ['root'] }));
  return {
    name: `fan${width}`,
    description: `${experiments} experiments of a 1 → ${width} → 1 fan-out/fan-in`,
    experiments,
    tasks: [{ id: 'root', after: [] }, ...middle, { id: 'sink', after: middle.map((task) => task.id) }],
  };
}

/** One big DAG: a root, `chains` parallel chains of `length`, a sink after the chains' ends. */
function bigDagShape(chains: number, length: number): Shape {
  const bodies = Array.from({ length: chains }, (_, c) => chain(length, `c${c}-`, ['root']));
  const tasks = [
    { id: 'root', after: [] },
    ...bodies.flat(),
    { id: 'sink', after: bodies.map((body) => body[body.length - 1]?.id ?? 'root') },
  ];
  return {
    name: 'dag10k',
    description: `one DAG of ${tasks.length} tasks: a root, ${chains} parallel chains of ${length}, a sink`,
    experiments: 1,
    tasks,
  };
}

export function benchShapes(counts: ShapeCounts): Shape[] {
  return [
    chainShape(counts.chains),
    fanShape(counts.fans, counts.fanWidth),
    bigDagShape(counts.bigDagChains, counts.bigDagChainLength),
  ];
}

export function taskCount(shape: Shape): number {
  return shape.experiments * shape.tasks.length;
}

/** The one task type of every shape, and so the one that the bench's workers run: a no-op. */
export const BENCH_TASK_TYPE = 'echo';

/** What `PUT /api/dags/:type` takes: a master DAG as JSON. */
export interface DagDocument {
  readonly type: string;
  readonly description: string;
  readonly tasks: readonly { id: string; type: typeof BENCH_TASK_TYPE; after?: string[] }[];
}

/** The shape as a wlm master DAG of no-op echo tasks. */
export function dagDocumentOf(shape: Shape, type: string): DagDocument {
  return {
    type,
    description: `npm run bench: ${shape.description}`,
    tasks: shape.tasks.map((task) => ({
      id: task.id,
      type: BENCH_TASK_TYPE,
      ...(task.after.length > 0 ? { after: [...task.after] } : {}),
    })),
  };
}
