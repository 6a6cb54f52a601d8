import { RecentMap } from '@wlm/commons/collections';
import type { DagStore } from '../domain/dag-store';

/** How many runs' first attempts to remember; older entries are read again when needed. */
const MAX_ENTRIES = 10_000;

/**
 * The first attempt of each experiment run (see `attempts.ts`), for telling a late event of an
 * earlier run from one of the current run. Run 1 starts at 1 without asking anyone; a later run's
 * nodes all carry its first attempt from before anything was dispatched, and attempts only grow, so
 * the smallest attempt in its concrete DAG is that number. Read once per run and process.
 */
export class RunAttempts {
  private readonly firstAttempts = new RecentMap<string, number>({ capacity: MAX_ENTRIES });

  constructor(private readonly dags: Pick<DagStore, 'getConcreteDag'>) {}

  async firstAttempt(experimentId: string, run: number): Promise<number> {
    if (run <= 1) return 1;
    const key = runKey(experimentId, run);
    const known = this.firstAttempts.get(key);
    if (known !== undefined) return known;
    const dag = await this.dags.getConcreteDag(experimentId, run);
    const attempts = dag?.tasks.map((task) => task.attempt) ?? [];
    const first = attempts.length === 0 ? 0 : Math.min(...attempts);
    // 0: the run is not prepared yet (its experiment is PENDING); say so without remembering it.
    if (first === 0) return 1;
    this.remember(experimentId, run, first);
    return first;
  }

  /** Called by whoever prepares a run, so the first events need no read. */
  remember(experimentId: string, run: number, first: number): void {
    this.firstAttempts.set(runKey(experimentId, run), first);
  }
}

function runKey(experimentId: string, run: number): string {
  return `${experimentId}:${run}`;
}
