import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { OrchestratorProcess } from '../../../../orchestrator/test/integration/support/orchestrator-process';
import { TOKEN } from '../../../../orchestrator/test/integration/support/orchestrator-env';
import { testDatabase } from '../../../../orchestrator/test/integration/support/test-database';
import { ensureBuilt } from '../../../../workers/test/support/ensure-built';
import { E2eCluster } from '../../support/e2e-cluster';

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
export function recordRound(round: FaultRound): void {
  mkdirSync(join(RESULTS, '..'), { recursive: true });
  appendFileSync(RESULTS, `${JSON.stringify({ ...round, at: new Date().toISOString() })}\n`);
}

/** How many times each scenario repeats: 1 in the default test run, more with `npm run test:faults`. */
export const REPEAT = Math.max(1, Number(process.env['WLM_FAULT_REPEAT'] ?? '1'));

export interface ExperimentSummary {
  readonly id: string;
  readonly state: string;
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

  async api(path: string, body?: unknown, method = body === undefined ? 'GET' : 'POST'): Promise<unknown> {
    if (this.url === undefined) throw new Error('no orchestrator listens');
    const response = await fetch(`${this.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
    return text === '' ? undefined : (JSON.parse(text) as unknown);
  }

  /** A DAG of ledger tasks (of `taskType`): `edges` maps each task to the tasks it runs after. */
  async putDag(
    name: string,
    edges: Record<string, string[]>,
    sleepMs: number,
    taskType = 'ledger',
  ): Promise<string> {
    const type = `${this.cluster.namespace}-${name}`;
    const tasks = Object.entries(edges).map(([id, after]) => ({
      id,
      type: taskType,
      params: { ledger: this.ledger, sleepMs },
      ...(after.length === 0 ? {} : { after }),
    }));
    await this.api(`/api/dags/${type}`, { type, tasks }, 'PUT');
    return type;
  }

  async submit(type: string, count: number): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < count; i += 1) {
      const created = (await this.api('/api/experiments', { type, inputs: {} })) as { id: string };
      ids.push(created.id);
    }
    return ids;
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
          `timed out after ${timeoutMs} ms: ${open.length} experiments not ended (${JSON.stringify(open.slice(0, 5))})`,
        );
      }
      await sleep(500);
    }
  }

  /** Every execution the ledger task started, one `experimentId/run/taskId/attempt` line each. */
  executions(): string[] {
    if (!existsSync(this.ledger)) return [];
    return readFileSync(this.ledger, 'utf8').split('\n').filter(Boolean);
  }

  /** Executions per task (`experimentId/run/taskId`), whatever their attempt. */
  executionsPerTask(): Map<string, number> {
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
