import { ApiFailure, request } from '../api.js';
import { clock, elapsed, h, replace, stateBadge, toast } from '../dom.js';
import type { ExperimentView, TaskLogsResponse, TaskView } from '../types.js';

const ACTIVE = new Set(['PENDING', 'QUEUED', 'RUNNING']);

function fact(label: string, value: Node | string | null): HTMLElement[] {
  return [h('dt', {}, label), h('dd', {}, value ?? '—')];
}

function json(value: unknown): HTMLPreElement {
  return h('pre', { class: 'code' }, JSON.stringify(value, null, 2));
}

/**
 * The side panel of one task: its state and latest attempt, what it waits for, its progress, its
 * outputs or error, every attempt, and the tail of its log (read when the panel opens and whenever
 * the task changes).
 */
export function taskPanel(experiment: ExperimentView, task: TaskView, onChanged: () => void): HTMLElement {
  const latest = task.runs.at(-1);
  const logBox = h('pre', { class: 'code log', id: 'task-log' }, 'Loading…');
  const logMeta = h('span', { class: 'muted' });
  const params = new URLSearchParams({ run: String(experiment.viewedRun) });
  request<TaskLogsResponse>(
    `/api/experiments/${encodeURIComponent(experiment.id)}/tasks/${encodeURIComponent(task.taskId)}/logs?${params.toString()}`,
  )
    .then((logs) => {
      logBox.textContent = logs.text === '' ? 'No log lines yet.' : logs.text;
      logMeta.textContent =
        logs.attempt === null
          ? ''
          : `attempt ${logs.attempt} · last ${logs.limits.maxLines} lines · ${clock(logs.at)}`;
      logBox.scrollTop = logBox.scrollHeight;
    })
    .catch((error: unknown) => {
      logBox.textContent = error instanceof ApiFailure ? error.message : String(error);
    });

  const cancel =
    experiment.state === 'RUNNING' && experiment.viewedRun === experiment.run && ACTIVE.has(task.state)
      ? h(
          'button',
          {
            class: 'danger small',
            id: 'cancel-task',
            onclick: () => {
              if (!confirm(`Cancel task ${task.taskId}? The experiment is cancelled with it.`)) return;
              request(
                `/api/experiments/${encodeURIComponent(experiment.id)}/tasks/${encodeURIComponent(task.taskId)}/cancel`,
                { method: 'POST' },
              )
                .then(() => {
                  toast(`Cancel of ${task.taskId} sent`);
                  onChanged();
                })
                .catch((error: unknown) =>
                  toast(error instanceof Error ? error.message : String(error), 'error'),
                );
            },
          },
          'Cancel task',
        )
      : null;

  const progress = task.progress;
  return h(
    'aside',
    { class: 'panel card', id: 'task-panel', 'data-task': task.taskId },
    h('div', { class: 'panel-head' }, h('h2', {}, task.taskId), stateBadge(task.state), cancel),
    h(
      'dl',
      { class: 'facts' },
      fact('Type', task.taskType),
      fact('Attempt', task.attempt === 0 ? 'not dispatched' : String(task.attempt)),
      fact('Worker', latest?.workerId ?? null),
      fact('Started', clock(latest?.startedAt ?? null)),
      fact('Ended', clock(latest?.endedAt ?? null)),
      fact('Took', latest === undefined ? null : elapsed(latest.startedAt, latest.endedAt)),
      fact('Waits for', task.after.length === 0 ? 'nothing (a root)' : task.after.join(', ')),
    ),
    task.waitingFor === null
      ? null
      : h('div', { class: 'callout callout-wait' }, h('strong', {}, 'Waiting: '), task.waitingFor),
    progress === null
      ? null
      : h(
          'div',
          { class: 'progress-block' },
          h(
            'div',
            { class: 'progress-label' },
            h('span', {}, progress.message ?? 'progress'),
            h('span', { class: 'muted' }, clock(progress.at)),
          ),
          progress.percent === null
            ? null
            : h(
                'div',
                { class: 'progress', role: 'progressbar', 'aria-valuenow': progress.percent },
                h('div', { style: `width: ${progress.percent}%` }),
              ),
        ),
    latest?.reason === null || latest?.reason === undefined
      ? null
      : h('div', { class: 'callout callout-error' }, h('strong', {}, 'Reason: '), latest.reason),
    task.outputs === null ? null : [h('h3', {}, 'Outputs'), json(task.outputs)],
    task.runs.length === 0
      ? null
      : [
          h('h3', {}, 'Attempts'),
          h(
            'table',
            { class: 'grid compact' },
            h(
              'thead',
              {},
              h(
                'tr',
                {},
                ['#', 'Worker', 'State', 'Started', 'Took'].map((label) => h('th', {}, label)),
              ),
            ),
            h(
              'tbody',
              {},
              task.runs.map((run) =>
                h(
                  'tr',
                  { title: run.reason ?? '' },
                  h('td', { class: 'num' }, run.attempt),
                  h('td', { class: 'mono' }, run.workerId ?? '—'),
                  h('td', {}, stateBadge(run.state)),
                  h('td', {}, clock(run.startedAt).slice(11)),
                  h('td', { class: 'num' }, elapsed(run.startedAt, run.endedAt)),
                ),
              ),
            ),
          ),
        ],
    h('div', { class: 'log-head' }, h('h3', {}, 'Log'), logMeta),
    logBox,
  );
}

/** The panel's place before a task is chosen. */
export function emptyPanel(): HTMLElement {
  const panel = h('aside', { class: 'panel card', id: 'task-panel' });
  replace(
    panel,
    h('p', { class: 'muted' }, 'Select a task in the graph to see its attempts, outputs and log.'),
  );
  return panel;
}
