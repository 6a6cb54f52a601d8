import type { TaskLogsResponse, WorkerEntry, WorkerIncidentEntry } from '@wlm/commons/api';
import { table } from '../format/text-table';

/** `12 s`, `5 min`, `3 h`, `2 d`: how long ago, for a table. */
export function since(iso: string, now: number): string {
  const seconds = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (seconds < 60) return `${seconds} s ago`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)} h ago`;
  return `${Math.floor(seconds / 86_400)} d ago`;
}

function joined(record: Record<string, string>, separator: string): string {
  const entries = Object.entries(record);
  return entries.length === 0 ? '-' : entries.map(([key, value]) => `${key}${separator}${value}`).join(',');
}

/** `wlm workers`: one line per worker (failed first, as the API orders them), then the latest incidents. */
export function formatWorkers(
  workers: readonly WorkerEntry[],
  incidents: readonly WorkerIncidentEntry[],
  now: number,
  maxIncidents = 10,
): string[] {
  if (workers.length === 0) {
    return ['no workers known: none has joined a running `wlm scheduler` of this installation yet'];
  }
  const lines = table([
    ['WORKER', 'STATE', 'SLOTS', 'TASK TYPES', 'LABELS', 'ADDRESS', 'SEEN'],
    ...workers.map((worker) => [
      worker.workerId,
      worker.state === 'alive' && !worker.reachable ? 'alive (unreachable)' : worker.state,
      `${worker.slotsInUse}/${worker.slots}`,
      joined(worker.taskTypes, '@'),
      joined(worker.labels, '='),
      worker.address,
      since(worker.updatedAt, now),
    ]),
  ]);
  if (incidents.length > 0) {
    lines.push('', 'recent incidents:');
    lines.push(
      ...table(
        incidents
          .slice(0, maxIncidents)
          .map((incident) => [
            incident.at,
            incident.workerId,
            incident.kind,
            incident.source === '' ? '' : `(${incident.source})`,
          ]),
      ).map((line) => `  ${line}`),
    );
  }
  return lines;
}

/** What `wlm logs` says about the tail before printing it (on stderr, so stdout is the log alone). */
export function describeLogs(logs: TaskLogsResponse): string {
  if (logs.attempt === null) return `task ${logs.taskId} (run ${logs.run}) has shipped no log lines yet`;
  const lines = logs.text === '' ? 0 : logs.text.split('\n').length;
  return `task ${logs.taskId}, run ${logs.run}, attempt ${logs.attempt}: the last ${lines} line${lines === 1 ? '' : 's'} (at most ${logs.limits.maxLines} lines or ${logs.limits.maxBytes / 1024} KiB), shipped ${logs.at ?? '?'}`;
}
