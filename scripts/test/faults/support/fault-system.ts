import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { OrchestratorProcess } from '../../../../orchestrator/test/integration/support/orchestrator-process';
import { TOKEN } from '../../../../orchestrator/test/integration/support/orchestrator-env';
import { testDatabase } from '../../../../orchestrator/test/integration/support/test-database';
import { ensureBuilt } from '../../../../workers/test/support/ensure-built';
import { E2eCluster } from '../../support/e2e-cluster';
import { eventually } from '@wlm/test-support';

/** The task type that records its executions (scripts/test/fixtures/ledger-plugin.js). */
export const LEDGER_PLUGIN = join(__dirname, '..', '..', 'fixtures', 'ledger-plugin.js');
const ENDED = ['COMPLETED', 'FAILED', 'CANCELLED'];

/** Where each scenario round appends its figures (one JSON line), for docs/reliability.md. */
const RESULTS = join(__dirname, '..', '..', '..', '..', '.wlm', 'fault-results.jsonl');

/** The figures of one scenario round. */
export interface FaultRound {
  readonly scenario: string;
  readonly faults: number;
  readonly experiments: number;
  readonly tasks: number;
  readonly executions: number;
  readonly lost: number;
  readonly duplicated: number;
  /** From the last fault to the last experiment's end, in ms. */
  readonly recoveryMs: number;
}

/** Appends one round's figures to `.wlm/fault-results.jsonl`. */
function recordRound(round: FaultRound): void {
  mkdirSync(join(RESULTS, '..'), { recursive: true });
  appendFileSync(RESULTS, `${JSON.stringify({ ...round, at: new Date().toISOString() })}\n`);
}

/** How many times each scenario repeats: 1 in the default test run, more with `npm run test:faults`. */
export const REPEAT = Math.max(1, Number(process.env['WLM_FAULT_REPEAT'] ?? '1'));

export interface ExperimentSummary {
  readonly id: string;
  readonly state: string;
}

/** A stored DAG type and how many tasks each of its experiments runs. */
export interface DagType {
  readonly type: string;
  readonly tasks: number;
}

/** Experiments submitted for one scenario round. */
export interface Workload {
  readonly ids: readonly string[];
  /** Tasks in all, over every experiment. */
  readonly tasks: number;
}

/** What ran for a round's experiments, counted in the ledger. */
export interface RoundOutcome {
  readonly tasks: number;
  readonly notCompleted: readonly ExperimentSummary[];
  /** Distinct tasks that started at least once. */
  readonly tasksRun: number;
  /** Tasks that started more than once, with how many times. */
  readonly repeated: ReadonlyArray<readonly [string, number]>;
  readonly executions: number;
}

/** The promise of every fault but a killed worker: every experiment completes, every task ran once. */
export function expectEveryTaskRanOnce(outcome: RoundOutcome): void {
  expect(outcome.notCompleted).toEqual([]);
  expect(outcome.repeated).toEqual([]);
  expect(outcome.executions).toBe(outcome.tasks);
}

/**
 * The promise when workers were killed mid-task: every experiment completes, every task ran, and
 * only tasks cut short ran again — each at most once more, `cutShort` of them at most.
 */
export function expectOnlyCutShortRanTwice(outcome: RoundOutcome, cutShort: number): void {
  expect(outcome.notCompleted).toEqual([]);
  expect(outcome.tasksRun).toBe(outcome.tasks);
  expect(outcome.repeated.filter(([, count]) => count > 2)).toEqual([]);
  expect(outcome.executions).toBeLessThanOrEqual(outcome.tasks + cutShort);
}

/**
 * A whole wlm of real processes for fault injection: `wlm scheduler` and `wlm worker` children (the
 * built CLI), orchestrator processes (`orchestrator/dist/main.js`) that a test SIGKILLs, a database
 * and an AMQP namespace of its own, and a ledger file every execution of the ledger task appends to.
 */
export class FaultSystem {
  readonly orchestrators: OrchestratorProcess[] = [];
  readonly ledger: string;
  private url: string | undefined;

  private constructor(
    readonly cluster: E2eCluster,
    private readonly db: ReturnType<typeof testDatabase>,
    private readonly scratch: string,
  ) {
    this.ledger = join(scratch, 'executions.log');
  }

  static async start(): Promise<FaultSystem> {
    ensureBuilt(['scripts', 'orchestrator']);
    const scratch = mkdtempSync(join(tmpdir(), 'wlm-faults-'));
    const cluster = await E2eCluster.start({ withOrchestrator: true });
    return new FaultSystem(cluster, testDatabase('faults'), scratch);
  }

  /**
   * A system under load as most fault tests run it: a scheduler, workers `w1` and `w2` of the ledger
   * plugin with 8 slots each, and orchestrator `o`. Stops what started if any of it fails to.
   */
  static async startWithLedgerWorkers(): Promise<FaultSystem> {
    const system = await FaultSystem.start();
    try {
      await system.cluster.startScheduler();
      for (const name of ['w1', 'w2'])
        await system.cluster.startWorker({ name, tasks: LEDGER_PLUGIN, slots: 8 });
      await system.startOrchestrator('o');
      return system;
    } catch (error) {
      await system.stop();
      throw error;
    }
  }

  /** Starts an orchestrator process; the API calls go to the newest one that listens. */
  async startOrchestrator(name: string): Promise<OrchestratorProcess> {
    const child = OrchestratorProcess.start(
      { db: this.db, topology: { namespace: this.cluster.namespace } },
      `${this.cluster.namespace}-${name}`,
    );
    this.orchestrators.push(child);
    this.url = await child.listening();
    return child;
  }

  /** Sends the API calls to `child` from now on (it listens already). */
  useOrchestrator(child: OrchestratorProcess): void {
    if (child.url === undefined) throw new Error(`${child.name} does not listen`);
    this.url = child.url;
  }

  /** SIGKILLs every orchestrator process and waits for them to be gone. */
  async killOrchestrators(): Promise<void> {
    const alive = this.orchestrators.filter((child) => child.alive);
    for (const child of alive) child.kill('SIGKILL');
    await Promise.all(alive.map((child) => child.exit()));
  }

  /** Calls the API: `body` is sent as JSON, or as is when it is `{ yaml }` text. */
  async api(path: string, body?: unknown, method = body === undefined ? 'GET' : 'POST'): Promise<unknown> {
    if (this.url === undefined) throw new Error('no orchestrator listens');
    const yaml = typeof body === 'object' && body !== null && 'yaml' in body ? String(body.yaml) : undefined;
    const response = await fetch(`${this.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${TOKEN}`,
        'content-type': yaml === undefined ? 'application/json' : 'text/yaml',
      },
      ...(body === undefined ? {} : { body: yaml ?? JSON.stringify(body) }),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
    return text === '' ? undefined : (JSON.parse(text) as unknown);
  }

  /**
   * A DAG of ledger tasks (of `taskType`): `edges` maps each task to the tasks it runs after.
   */
  async putDag(
    name: string,
    edges: Record<string, string[]>,
    sleepMs: number,
    { taskType = 'ledger' }: { taskType?: string } = {},
  ): Promise<DagType> {
    const type = `${this.cluster.namespace}-${name}`;
    const tasks = Object.entries(edges).map(([id, after]) => ({
      id,
      type: taskType,
      params: { ledger: this.ledger, sleepMs },
      ...(after.length === 0 ? {} : { after }),
    }));
    await this.api(`/api/dags/${type}`, { type, tasks }, 'PUT');
    return { type, tasks: tasks.length };
  }

  /**
   * Stores a DAG written in YAML: `tasks` is the YAML of its task list (anchors and aliases let a
   * definition expand far past the API's body limit), `count` how many tasks it holds.
   */
  async putDagYaml(name: string, tasks: string, count: number): Promise<DagType> {
    const type = `${this.cluster.namespace}-${name}`;
    await this.api(`/api/dags/${type}`, { yaml: `type: ${type}\ntasks:\n${tasks}` }, 'PUT');
    return { type, tasks: count };
  }

  /** Submits `count` experiments of each DAG, one after another, with `fields` added to each request. */
  async submit(
    parts: ReadonlyArray<readonly [DagType, number]>,
    fields: Record<string, unknown> = {},
  ): Promise<Workload> {
    const ids: string[] = [];
    let tasks = 0;
    for (const [dag, count] of parts) {
      for (let i = 0; i < count; i += 1) {
        const created = (await this.api('/api/experiments', { type: dag.type, inputs: {}, ...fields })) as {
          id: string;
        };
        ids.push(created.id);
      }
      tasks += dag.tasks * count;
    }
    return { ids, tasks };
  }

  /**
   * Ends a scenario round: waits for every experiment of `workloads` to end, counts what ran for them
   * in the ledger, and records the round's figures; `recoveryFrom` is when the last fault was
   * injected. Tasks cut short by a killed worker count as duplicated here: the caller says how many
   * of those it allows.
   */
  async finishRound(
    scenario: string,
    faults: number,
    recoveryFrom: number,
    workloads: readonly Workload[],
    timeoutMs = 240_000,
  ): Promise<RoundOutcome> {
    const ids = workloads.flatMap((workload) => workload.ids);
    const ended = await this.settle(ids, timeoutMs);
    const recoveryMs = Date.now() - recoveryFrom;
    const started = new Set(ids);
    const perTask = [...this.executionsPerTask()].filter(([task]) => started.has(task.split('/')[0] ?? ''));
    const outcome: RoundOutcome = {
      tasks: workloads.reduce((sum, workload) => sum + workload.tasks, 0),
      notCompleted: ended.filter((experiment) => experiment.state !== 'COMPLETED'),
      tasksRun: perTask.length,
      repeated: perTask.filter(([, count]) => count > 1),
      executions: perTask.reduce((sum, [, count]) => sum + count, 0),
    };
    recordRound({
      scenario,
      faults,
      experiments: ids.length,
      tasks: outcome.tasks,
      executions: outcome.executions,
      lost: outcome.notCompleted.length,
      duplicated: outcome.repeated.length,
      recoveryMs,
    });
    return outcome;
  }

  /**
   * Waits until every experiment ended, asking twice a second through whichever orchestrator answers
   * (one may be down between a kill and its restart); returns their states.
   */
  async settle(ids: readonly string[], timeoutMs: number): Promise<ExperimentSummary[]> {
    const deadline = Date.now() + timeoutMs;
    let last: ExperimentSummary[] = [];
    for (;;) {
      try {
        last = await Promise.all(
          ids.map(async (id) => ({
            id,
            state: ((await this.api(`/api/experiments/${id}`)) as { state: string }).state,
          })),
        );
        if (last.every((experiment) => ENDED.includes(experiment.state))) return last;
      } catch {
        // The orchestrator being asked was killed a moment ago; ask again.
      }
      if (Date.now() > deadline) {
        const open = last.filter((experiment) => !ENDED.includes(experiment.state));
        throw new Error(
          `timed out after ${timeoutMs} ms: ${open.length} experiments not ended (${JSON.stringify(open.slice(0, 5))})\n` +
            `the orchestrators' last warnings:\n${this.orchestratorWarnings().join('\n')}`,
        );
      }
      await sleep(500);
    }
  }

  /** The last log lines of warning level or worse of every orchestrator process, for a failure's message. */
  private orchestratorWarnings(): string[] {
    const PINO_WARN = 40;
    return this.orchestrators.flatMap((child) =>
      child.log
        .filter((line) => {
          try {
            return ((JSON.parse(line) as { level?: number }).level ?? 0) >= PINO_WARN;
          } catch {
            return false;
          }
        })
        .slice(-10)
        .map((line) => `${child.name}: ${line.slice(0, 600)}`),
    );
  }

  /** Every execution the ledger task started, one `experimentId/run/taskId/attempt` line each. */
  executions(): string[] {
    if (!existsSync(this.ledger)) return [];
    return readFileSync(this.ledger, 'utf8').split('\n').filter(Boolean);
  }

  /**
   * Resolves once `more` executions of `workload`'s tasks have started since the call, or every task
   * of it has run: the system is making progress, so a fault injected next meets work in flight
   * rather than a quiet system.
   */
  async progressed(workload: Workload, more = 1, timeoutMs = 60_000): Promise<void> {
    const ids = new Set(workload.ids);
    const count = (): number => this.executions().filter((line) => ids.has(line.split('/')[0] ?? '')).length;
    const target = Math.min(count() + more, workload.tasks);
    await eventually(`${target} executions of the workload`, count, (n) => n >= target, timeoutMs);
  }

  /** Executions per task (`experimentId/run/taskId`), whatever their attempt. */
  private executionsPerTask(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const line of this.executions()) {
      const task = line.split('/').slice(0, 3).join('/');
      counts.set(task, (counts.get(task) ?? 0) + 1);
    }
    return counts;
  }

  async stop(): Promise<void> {
    await this.killOrchestrators();
    await this.cluster.cleanUp();
    await this.db.drop();
    rmSync(this.scratch, { recursive: true, force: true });
  }
}
