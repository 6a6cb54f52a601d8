import { Command, InvalidArgumentError } from 'commander';
import { taskLogsResponseSchema, workersResponseSchema } from '@wlm/commons/api';
import { loadConfig } from '@wlm/commons/config';
import { ApiClient } from '../api-client/api-client';
import { describeLogs, formatWorkers } from './worker-format';

/*
 * `wlm workers` and `wlm logs`: what an operator looks at, from the orchestrator's REST API.
 */

function positiveInteger(value: string): number {
  const number = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(number) || number < 1)
    throw new InvalidArgumentError('expected a whole number from 1');
  return number;
}

/** `wlm workers`. */
export function workersCommand(): Command {
  return new Command('workers')
    .description(
      'list the workers as the scheduler sees them: state (failed first), slots in use, task types with plugin versions, labels; then recent incidents',
    )
    .option('--json', 'print the API answer ({items, incidents}) as JSON')
    .action(async (options: { json?: boolean }) => {
      const api = ApiClient.fromConfig(loadConfig());
      const answer = await api.get('/api/workers', workersResponseSchema);
      if (options.json) console.log(JSON.stringify(answer, null, 2));
      else for (const line of formatWorkers(answer.items, answer.incidents, Date.now())) console.log(line);
    });
}

/** `wlm logs ID TASK`. */
export function logsCommand(): Command {
  return new Command('logs')
    .description(
      "print the tail of a task's log (the last 200 lines, at most 64 KiB) that its worker shipped with the task's events",
    )
    .argument('<id>', 'experiment id')
    .argument('<task>', 'task id')
    .option('--attempt <n>', 'this attempt (default: the latest that shipped a log)', positiveInteger)
    .option('--run <n>', 'this run of the experiment (default: the current one)', positiveInteger)
    .option('--json', 'print the API answer as JSON')
    .action(async (id: string, task: string, options: { attempt?: number; run?: number; json?: boolean }) => {
      const api = ApiClient.fromConfig(loadConfig());
      const query = new URLSearchParams();
      if (options.attempt !== undefined) query.set('attempt', String(options.attempt));
      if (options.run !== undefined) query.set('run', String(options.run));
      const path = `/api/experiments/${encodeURIComponent(id)}/tasks/${encodeURIComponent(task)}/logs`;
      const logs = await api.get(
        `${path}${query.size === 0 ? '' : `?${query.toString()}`}`,
        taskLogsResponseSchema,
      );
      if (options.json) {
        console.log(JSON.stringify(logs, null, 2));
        return;
      }
      console.error(describeLogs(logs));
      if (logs.text !== '') console.log(logs.text);
    });
}
