/**
 * wlm's whole path through the API: a real orchestrator (Neo4j + MySQL state), the scheduler and
 * workers of the BenchCluster, no-op echo tasks. Experiments are created through the REST API by
 * concurrent clients (or in batches of `POST /api/experiments/batch`), their end is read from the
 * orchestrator's MySQL database, and the overhead from the task runs' start and end times there —
 * the `at` of the workers' RUNNING and COMPLETED events — split by hop with the audit trail's
 * `task.dispatched` (the orchestrator's request) and the scheduler's QUEUED (its placement).
 */
import type { Pool, RowDataPacket } from 'mysql2/promise';
import { perSecond } from './bullmq-flows';
import type { ShapeRun } from './bullmq-flows';
import { overheadByHopOf, overheadOf } from './overhead';
import type { DispatchTimes, OverheadByHop, TaskTimes } from './overhead';
import type { Shape } from './shapes';
import { dagDocumentOf, taskCount } from './shapes';

/** Most experiments in one batch call (the API's own limit). */
const BATCH_LIMIT = 1000;
const POLL_MS = 250;

export interface ApiPathOptions {
  readonly apiUrl: string;
  readonly token: string;
  /** The orchestrator's database. */
  readonly db: Pool;
  /** Experiment types are `<typePrefix>-<shape>`. */
  readonly typePrefix: string;
  /** Concurrent API clients creating experiments one by one. */
  readonly clients: number;
  /** Create through `POST /api/experiments/batch` instead. */
  readonly batch: boolean;
  /**
   * Create one experiment at a time at this rate (experiments/s), each POST sent on its schedule
   * whether or not the earlier ones have been answered: the load stays what is asked even when an
   * answer is slow. Overrides `batch` and `clients`.
   */
  readonly pacedRate?: number | undefined;
  /**
   * Submit with `Prefer: respond-async`: answered once each experiment is stored, started after
   * (docs/orchestrator-api.md). The shape's name gets `-async`.
   */
  readonly respondAsync?: boolean | undefined;
  /** Appended to the experiment type and the shape's name, to run a shape again as new experiments. */
  readonly suffix?: string | undefined;
  readonly timeoutMs: number;
  readonly onProgress: (message: string) => void;
  readonly signal: AbortSignal;
}

export interface ApiShapeRun extends ShapeRun {
  readonly overheadByHopMs: OverheadByHop;
  readonly creation: {
    readonly mode: 'one by one' | 'batch' | 'paced';
    readonly clients: number;
    readonly created: number;
    readonly elapsedMs: number;
    readonly experimentsPerSecond: number;
  };
}

async function call(options: ApiPathOptions, method: string, path: string, body: unknown): Promise<unknown> {
  const response = await fetch(`${options.apiUrl}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${options.token}`,
      'content-type': 'application/json',
      ...(options.respondAsync === true ? { prefer: 'respond-async' } : {}),
    },
    body: JSON.stringify(body),
    signal: options.signal,
  });
  const answer: unknown = await response.json();
  if (!response.ok)
    throw new Error(`${method} ${path} answered ${response.status}: ${JSON.stringify(answer)}`);
  return answer;
}

/** Creates `count` experiments of `type`; resolves with how many were created before the deadline. */
async function create(
  options: ApiPathOptions,
  type: string,
  count: number,
  deadline: number,
): Promise<number> {
  const item = (i: number) => ({ type, inputs: {}, priority: 5, idempotencyKey: `${type}-${i}` });
  let next = 0;
  let created = 0;
  if (options.pacedRate !== undefined) {
    const intervalMs = 1000 / options.pacedRate;
    const start = Date.now();
    const sent: Promise<void>[] = [];
    for (let i = 0; i < count && Date.now() < deadline; i += 1) {
      const wait = start + i * intervalMs - Date.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      sent.push(call(options, 'POST', '/api/experiments', item(i)).then(() => void (created += 1)));
    }
    await Promise.all(sent);
    return created;
  }
  if (options.batch) {
    while (next < count && Date.now() < deadline) {
      const size = Math.min(BATCH_LIMIT, count - next);
      const items = Array.from({ length: size }, (_, i) => item(next + i));
      next += size;
      const answer = (await call(options, 'POST', '/api/experiments/batch', { items })) as {
        failed: number;
        items: { status: number; error?: { message: string } }[];
      };
      // Answered 200 as a whole, the batch may still have refused some of its items.
      const refused = answer.items.find((item) => item.status >= 400);
      if (answer.failed > 0)
        throw new Error(`the batch refused ${answer.failed} experiments: ${refused?.error?.message ?? '?'}`);
      created += size;
    }
    return created;
  }
  const client = async (): Promise<void> => {
    while (next < count && Date.now() < deadline) {
      const i = next;
      next += 1;
      await call(options, 'POST', '/api/experiments', item(i));
      created += 1;
    }
  };
  await Promise.all(Array.from({ length: options.clients }, client));
  return created;
}

async function finishedCount(db: Pool, type: string): Promise<{ finished: number; failed: number }> {
  const [rows] = await db.query<RowDataPacket[]>(
    `SELECT SUM(state IN ('COMPLETED', 'FAILED', 'CANCELLED')) AS finished, SUM(state <> 'COMPLETED'
       AND state IN ('FAILED', 'CANCELLED')) AS failed FROM experiments WHERE type = ?`,
    [type],
  );
  return { finished: Number(rows[0]?.['finished'] ?? 0), failed: Number(rows[0]?.['failed'] ?? 0) };
}

/** When each task of the experiments of `type` was requested and placed, by `experiment/task`. */
async function dispatchTimes(db: Pool, type: string): Promise<Map<string, DispatchTimes>> {
  const [rows] = await db.query<RowDataPacket[]>(
    `SELECT a.experiment_id, a.task_id, MAX(CASE WHEN a.type = 'task.dispatched' THEN a.at END) AS requested_at,
       MAX(CASE WHEN a.type = 'task.transitioned' THEN a.at END) AS placed_at
       FROM audit_events a JOIN experiments e ON e.id = a.experiment_id
       WHERE e.type = ? AND a.to_state = 'QUEUED' GROUP BY a.experiment_id, a.task_id`,
    [type],
  );
  const dispatches = new Map<string, DispatchTimes>();
  for (const row of rows) {
    const requested = row['requested_at'] as Date | null;
    const placed = row['placed_at'] as Date | null;
    if (requested === null || placed === null) continue;
    dispatches.set(`${String(row['experiment_id'])}/${String(row['task_id'])}`, {
      requestedAt: requested.getTime(),
      placedAt: placed.getTime(),
    });
  }
  return dispatches;
}

/** Stores the shape's DAG, creates its experiments, waits until they end (or the time limit). */
export async function runApiShape(shape: Shape, options: ApiPathOptions): Promise<ApiShapeRun> {
  const mode = options.pacedRate !== undefined ? 'paced' : options.batch ? 'batch' : 'one by one';
  const variant =
    (mode === 'paced' ? '-paced' : mode === 'batch' ? '-batch' : '') +
    (options.respondAsync === true ? '-async' : '');
  const type = `${options.typePrefix}-${shape.name}${variant}${options.suffix ?? ''}`;
  await call(options, 'PUT', `/api/dags/${type}`, dagDocumentOf(shape, type));
  const total = taskCount(shape);
  const startedAt = Date.now();
  const deadline = startedAt + options.timeoutMs;
  const created = await create(options, type, shape.experiments, deadline);
  const creationMs = Date.now() - startedAt;
  options.onProgress(
    `api ${shape.name}: ${created} experiments created in ${creationMs} ms ` +
      `(${mode === 'one by one' ? `${options.clients} clients` : mode === 'paced' ? `paced, ${options.pacedRate} /s` : 'batch'})`,
  );
  let lastSay = Date.now();
  let state = await finishedCount(options.db, type);
  while (state.finished < created && Date.now() < deadline) {
    options.signal.throwIfAborted();
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    state = await finishedCount(options.db, type);
    if (Date.now() - lastSay >= 2000) {
      lastSay = Date.now();
      options.onProgress(
        `api ${shape.name}: ${state.finished}/${created} experiments ended, ${Math.round((Date.now() - startedAt) / 1000)} s`,
      );
    }
  }
  if (state.failed > 0) throw new Error(`api ${shape.name}: ${state.failed} experiments did not complete`);

  const [runs] = await options.db.query<RowDataPacket[]>(
    `SELECT t.experiment_id, t.task_id, t.started_at, t.ended_at FROM task_runs t
       JOIN experiments e ON e.id = t.experiment_id WHERE e.type = ? AND t.state = 'COMPLETED'`,
    [type],
  );
  const [ends] = await options.db.query<RowDataPacket[]>(
    `SELECT id, ended_at FROM experiments WHERE type = ? AND state = 'COMPLETED'`,
    [type],
  );
  const times = new Map<string, TaskTimes>();
  for (const run of runs) {
    times.set(`${String(run['experiment_id'])}/${String(run['task_id'])}`, {
      startedAt: (run['started_at'] as Date).getTime(),
      endedAt: (run['ended_at'] as Date).getTime(),
    });
  }
  const dispatches = await dispatchTimes(options.db, type);
  const lastEnd = ends.reduce((last, row) => Math.max(last, (row['ended_at'] as Date).getTime()), startedAt);
  const elapsedMs = lastEnd - startedAt;
  const experimentIds = ends.map((row) => String(row['id']));
  return {
    shape: `${shape.name}${variant}${options.suffix ?? ''}`,
    experiments: shape.experiments,
    tasks: total,
    completedTasks: runs.length,
    timedOut: runs.length < total,
    elapsedMs,
    tasksPerSecond: perSecond(runs.length, elapsedMs),
    experimentsPerSecond: perSecond(ends.length, elapsedMs),
    overheadMs: overheadOf(shape, experimentIds, (e, id) => times.get(`${e}/${id}`)),
    overheadByHopMs: overheadByHopOf(
      shape,
      experimentIds,
      (e, id) => times.get(`${e}/${id}`),
      (e, id) => dispatches.get(`${e}/${id}`),
    ),
    creation: {
      mode,
      clients: mode === 'one by one' ? options.clients : 1,
      created,
      elapsedMs: creationMs,
      experimentsPerSecond: perSecond(created, creationMs),
    },
  };
}
