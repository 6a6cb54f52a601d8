import { Command, Option } from 'commander';
import { loadConfig } from '@wlm/commons/config';
import { EXPERIMENT_STATES } from '@wlm/orchestrator';
import type { ExperimentView } from '@wlm/orchestrator';
import { ApiClient } from '../api-client/api-client';
import { time } from './experiment-format';
import { table } from '../format/text-table';
import { wholeNumber } from './option-parsers';

/*
 * `wlm experiments` and `wlm audit ID`: the lists an operator reads, as tables by default and as
 * JSON arrays with --json. Both follow the API's pages (`nextCursor`) up to --limit entries.
 */

type ExperimentSummary = Omit<ExperimentView, 'tasks' | 'edges' | 'viewedRun'>;

/** An entry of `GET /api/experiments/:id/audit`. */
export interface AuditEntry {
  id: number;
  taskId: string | null;
  type: string;
  fromState: string | null;
  toState: string | null;
  actor: string;
  reason: string | null;
  details: Record<string, unknown> | null;
  at: string;
}

interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** The most entries one API page holds. */
const PAGE_MAX = 1000;

/**
 * Reads pages of `path` (its query in `query`) until `limit` entries or the last page; says
 * whether more are left.
 */
async function readPages<T>(
  api: ApiClient,
  path: string,
  query: Record<string, string>,
  limit: number,
): Promise<{ items: T[]; more: boolean }> {
  const items: T[] = [];
  let cursor: string | null = null;
  do {
    const params = new URLSearchParams({
      ...query,
      limit: String(Math.min(PAGE_MAX, limit - items.length)),
      ...(cursor === null ? {} : { cursor }),
    });
    const page: Page<T> = await api.request<Page<T>>(`${path}?${params.toString()}`);
    items.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor !== null && items.length < limit);
  return { items, more: cursor !== null };
}

/** One line per experiment, newest first. */
export function experimentsTable(experiments: readonly ExperimentSummary[]): string[] {
  return table([
    ['ID', 'TYPE', 'STATE', 'RUN', 'PRIORITY', 'CREATED', 'ENDED', 'REASON'],
    ...experiments.map((experiment) => [
      experiment.id,
      experiment.type,
      experiment.state,
      String(experiment.run),
      String(experiment.priority),
      time(experiment.createdAt),
      time(experiment.endedAt),
      experiment.failureReason ?? '',
    ]),
  ]);
}

/** One line per audit entry, oldest first; the task column is empty for the experiment's own entries. */
export function auditTable(entries: readonly AuditEntry[]): string[] {
  return table([
    ['AT', 'EVENT', 'TASK', 'STATE', 'ACTOR', 'REASON'],
    ...entries.map((entry) => [
      time(entry.at),
      entry.type,
      entry.taskId ?? '',
      entry.fromState === null ? (entry.toState ?? '') : `${entry.fromState} → ${entry.toState ?? '?'}`,
      entry.actor,
      entry.reason ?? '',
    ]),
  ]);
}

interface ExperimentsOptions {
  state?: string;
  type?: string;
  limit: number;
  json?: boolean;
}

/** `wlm experiments [--state S] [--type T]`. */
export function experimentsCommand(): Command {
  return new Command('experiments')
    .description('list experiments, newest first: id, type, state, run, priority, times, failure reason')
    .addOption(new Option('--state <state>', 'only experiments in this state').choices(EXPERIMENT_STATES))
    .option('--type <type>', 'only experiments of this type')
    .option('--limit <n>', 'list at most this many', wholeNumber({ min: 1 }), 50)
    .option('--json', 'print a JSON array of experiments')
    .addHelpText(
      'after',
      '\nExamples:\n  wlm experiments --state RUNNING\n  wlm experiments --type hpc-job --json',
    )
    .action(async (options: ExperimentsOptions) => {
      const api = ApiClient.fromConfig(loadConfig());
      const query = {
        ...(options.state === undefined ? {} : { state: options.state }),
        ...(options.type === undefined ? {} : { type: options.type }),
      };
      const { items, more } = await readPages<ExperimentSummary>(
        api,
        '/api/experiments',
        query,
        options.limit,
      );
      if (options.json) {
        console.log(JSON.stringify(items, null, 2));
        return;
      }
      if (items.length === 0) {
        console.log('no experiments');
        return;
      }
      for (const line of experimentsTable(items)) console.log(line);
      if (more) console.log(`(the ${items.length} newest; --limit N shows more)`);
    });
}

interface AuditOptions {
  limit?: number;
  json?: boolean;
}

/** `wlm audit ID`. */
export function auditCommand(): Command {
  return new Command('audit')
    .description(
      "show an experiment's audit trail, oldest first: every state change, dispatch and wait, with who did it",
    )
    .argument('<id>', 'experiment id')
    .option('--limit <n>', 'show at most the first n entries (default: all)', wholeNumber({ min: 1 }))
    .option('--json', 'print a JSON array of entries, with their details')
    .action(async (id: string, options: AuditOptions) => {
      const api = ApiClient.fromConfig(loadConfig());
      const path = `/api/experiments/${encodeURIComponent(id)}/audit`;
      const { items, more } = await readPages<AuditEntry>(
        api,
        path,
        {},
        options.limit ?? Number.MAX_SAFE_INTEGER,
      );
      if (options.json) {
        console.log(JSON.stringify(items, null, 2));
        return;
      }
      for (const line of auditTable(items)) console.log(line);
      if (more) console.log(`(the first ${items.length}; --limit N shows more)`);
    });
}
