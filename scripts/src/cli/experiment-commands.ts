import { setTimeout as sleep } from 'node:timers/promises';
import { Command, InvalidArgumentError } from 'commander';
import { loadConfig } from '@wlm/commons/config';
import type { ExperimentView } from '@wlm/orchestrator';
import { ApiClient } from '../api-client/api-client';
import { formatExperiment, formatProgress, formatWaits, isTerminal } from './experiment-format';
import { wholeNumber } from './option-parsers';

/*
 * `wlm submit`, `wlm status`, `wlm cancel|rerun|resume`: clients of the orchestrator's REST API.
 */

interface SubmitOptions {
  type: string;
  input: Record<string, unknown>;
  priority: number;
  idempotencyKey?: string;
  wait?: boolean;
  json?: boolean;
}

interface JsonOption {
  json?: boolean;
}

type ExperimentSummary = Omit<ExperimentView, 'tasks' | 'edges' | 'viewedRun'>;

/** How often `--wait` asks for the experiment's state. */
const POLL_MS = 500;

/**
 * `--input k=v`, repeatable. The value is read as JSON when it is JSON (`n=3` is a number,
 * `flags=[1,2]` a list, `on=true` a boolean) and as text otherwise (`msg=hello`); quote a number to
 * keep it text: `id='"007"'`.
 */
function collectInput(value: string, inputs: Record<string, unknown>): Record<string, unknown> {
  const equals = value.indexOf('=');
  if (equals <= 0) throw new InvalidArgumentError(`expected name=value, got "${value}"`);
  const name = value.slice(0, equals);
  const raw = value.slice(equals + 1);
  let parsed: unknown = raw;
  try {
    parsed = JSON.parse(raw);
  } catch {
    // Not JSON: plain text.
  }
  return { ...inputs, [name]: parsed };
}

async function waitForEnd(api: ApiClient, id: string, json: boolean): Promise<ExperimentView> {
  const started = Date.now();
  let last = '';
  const waits = new Map<string, string>();
  for (;;) {
    const view = await api.request<ExperimentView>(`/api/experiments/${encodeURIComponent(id)}`);
    const elapsedMs = Date.now() - started;
    const line = formatProgress(view, elapsedMs);
    const unchanged = line.replace(/^\[[^\]]*\] /, '');
    if (!json && unchanged !== last) console.error(line);
    last = unchanged;
    if (!json) for (const wait of formatWaits(view, waits, elapsedMs)) console.error(wait);
    if (isTerminal(view.state)) return view;
    await sleep(POLL_MS);
  }
}

/** `wlm submit`. */
export function submitCommand(): Command {
  return new Command('submit')
    .description('submit an experiment of a stored type; prints its id')
    .requiredOption('--type <type>', 'experiment type (see `wlm dag list`)')
    .option(
      '--input <name=value>',
      'an input the DAG uses as {{inputs.name}}; repeatable; JSON values are parsed',
      collectInput,
      {},
    )
    .option(
      '--priority <p>',
      'priority 0–9 (9 first)',
      wholeNumber({ min: 0, max: 9, expected: 'a priority from 0 (lowest) to 9 (highest)' }),
      5,
    )
    .option('--idempotency-key <key>', 'resubmitting with the same key returns the same experiment')
    .option('--wait', 'show progress until the experiment ends; exit status 1 unless it COMPLETED')
    .option('--json', 'print the experiment as JSON (with --wait: the final state with every task)')
    .action(async (options: SubmitOptions) => {
      const api = ApiClient.fromConfig(loadConfig());
      const experiment = await api.request<ExperimentSummary>('/api/experiments', {
        json: {
          type: options.type,
          inputs: options.input,
          priority: options.priority,
          ...(options.idempotencyKey === undefined ? {} : { idempotencyKey: options.idempotencyKey }),
        },
      });
      if (!options.wait) {
        console.log(options.json ? JSON.stringify(experiment, null, 2) : experiment.id);
        return;
      }
      if (!options.json)
        console.error(`submitted ${experiment.id}; waiting (Ctrl-C stops waiting, not the experiment)`);
      const final = await waitForEnd(api, experiment.id, options.json === true);
      if (options.json) console.log(JSON.stringify(final, null, 2));
      else for (const line of formatExperiment(final)) console.log(line);
      if (final.state !== 'COMPLETED') process.exitCode = 1;
    });
}

/** `wlm status ID`. */
export function statusCommand(): Command {
  return new Command('status')
    .description("show an experiment: its state and every task's state, attempt, worker and timings")
    .argument('<id>', 'experiment id')
    .option('--json', 'print the experiment with every task and its runs as JSON')
    .action(async (id: string, options: JsonOption) => {
      const api = ApiClient.fromConfig(loadConfig());
      const view = await api.request<ExperimentView>(`/api/experiments/${encodeURIComponent(id)}`);
      if (options.json) console.log(JSON.stringify(view, null, 2));
      else for (const line of formatExperiment(view)) console.log(line);
    });
}

const ACTIONS = {
  cancel: 'cancel a PENDING or RUNNING experiment; its running tasks are told to stop',
  rerun: 'run a finished experiment again from the start, as its next run (earlier runs are kept)',
  resume: 'continue a FAILED or CANCELLED experiment where it stopped; completed tasks do not run again',
} as const;

/** `wlm cancel|rerun|resume ID`. */
export function experimentActionCommand(action: keyof typeof ACTIONS): Command {
  return new Command(action)
    .description(ACTIONS[action])
    .argument('<id>', 'experiment id')
    .option('--json', 'print the experiment as JSON')
    .action(async (id: string, options: JsonOption) => {
      const api = ApiClient.fromConfig(loadConfig());
      const experiment = await api.request<ExperimentSummary>(
        `/api/experiments/${encodeURIComponent(id)}/${action}`,
        {
          method: 'POST',
        },
      );
      if (options.json) console.log(JSON.stringify(experiment, null, 2));
      else console.log(`experiment ${experiment.id} is ${experiment.state} (run ${experiment.run})`);
    });
}
