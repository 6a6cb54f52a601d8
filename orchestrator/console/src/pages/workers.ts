import { ApiFailure, request } from '../api.js';
import { ago, clock, h, notice, replace, stateBadge } from '../dom.js';
import type { PageContext } from '../page.js';
import type { WorkerEntry, WorkersResponse } from '../types.js';

function chips(record: Record<string, string>, separator: string): HTMLElement {
  const entries = Object.entries(record);
  if (entries.length === 0) return h('span', { class: 'muted' }, '—');
  return h(
    'div',
    { class: 'chips' },
    entries.map(([key, value]) =>
      h('span', { class: 'chip' }, key, h('span', { class: 'chip-value' }, `${separator}${value}`)),
    ),
  );
}

function slots(worker: WorkerEntry): HTMLElement {
  const share = worker.slots === 0 ? 0 : Math.min(100, (100 * worker.slotsInUse) / worker.slots);
  return h(
    'div',
    { class: 'slots' },
    h('div', { class: 'progress thin' }, h('div', { style: `width: ${share}%` })),
    h('span', { class: 'num' }, `${worker.slotsInUse} / ${worker.slots}`),
  );
}

function stat(label: string, value: number | string, kind = ''): HTMLElement {
  return h(
    'div',
    { class: `stat card ${kind}` },
    h('div', { class: 'stat-value' }, value),
    h('div', { class: 'stat-label' }, label),
  );
}

/**
 * `#/workers`: every worker the scheduler knows with its state (failed ones first and in red), task
 * types with plugin versions, labels and slots in use, and the recent incidents; read again when
 * the stream says the directory changed.
 */
export async function workersPage(context: PageContext): Promise<void> {
  const stats = h('div', { class: 'stats' });
  const table = h('div', { class: 'table-wrap' });
  const incidents = h('div', { class: 'table-wrap' });
  replace(
    context.root,
    h('div', { class: 'page-head' }, h('h1', {}, 'Workers')),
    stats,
    table,
    h('h2', { class: 'section' }, 'Recent incidents'),
    incidents,
  );

  const render = (directory: WorkersResponse): void => {
    const count = (state: string): number =>
      directory.items.filter((worker) => worker.state === state).length;
    const alive = directory.items.filter((worker) => worker.state === 'alive');
    replace(
      stats,
      stat('alive', count('alive'), 'stat-alive'),
      stat('failed', count('failed'), count('failed') > 0 ? 'stat-failed' : ''),
      stat('left', count('left')),
      stat(
        'slots in use (alive)',
        `${alive.reduce((sum, worker) => sum + worker.slotsInUse, 0)} / ${alive.reduce((sum, worker) => sum + worker.slots, 0)}`,
      ),
    );
    replace(
      table,
      directory.items.length === 0
        ? notice(
            'No worker has been seen yet: start one with `wlm worker`, beside a running `wlm scheduler`.',
          )
        : h(
            'table',
            { class: 'grid', id: 'workers' },
            h(
              'thead',
              {},
              h(
                'tr',
                {},
                ['Worker', 'State', 'Task types', 'Labels', 'Slots in use', 'Address', 'Seen'].map((label) =>
                  h('th', {}, label),
                ),
              ),
            ),
            h(
              'tbody',
              {},
              directory.items.map((worker) =>
                h(
                  'tr',
                  {
                    class: `worker-${worker.state}`,
                    'data-worker': worker.workerId,
                    'data-state': worker.state,
                  },
                  h('td', { class: 'mono strong' }, worker.workerId),
                  h(
                    'td',
                    {},
                    stateBadge(worker.state),
                    worker.state === 'alive' && !worker.reachable
                      ? h('span', { class: 'badge state-queued' }, 'unreachable')
                      : null,
                    worker.failedAt === null
                      ? null
                      : h('div', { class: 'muted small' }, `since ${clock(worker.failedAt).slice(11)}`),
                  ),
                  h('td', {}, chips(worker.taskTypes, ' ')),
                  h('td', {}, chips(worker.labels, '=')),
                  h('td', {}, slots(worker)),
                  h('td', { class: 'mono small' }, worker.address),
                  h('td', { title: worker.updatedAt }, ago(worker.updatedAt)),
                ),
              ),
            ),
          ),
    );
    replace(
      incidents,
      directory.incidents.length === 0
        ? notice('No incidents.')
        : h(
            'table',
            { class: 'grid compact', id: 'incidents' },
            h(
              'thead',
              {},
              h(
                'tr',
                {},
                ['When', 'Worker', 'What', 'Noticed by', 'Scheduler'].map((label) => h('th', {}, label)),
              ),
            ),
            h(
              'tbody',
              {},
              directory.incidents
                .slice(0, 20)
                .map((incident) =>
                  h(
                    'tr',
                    { class: `incident-${incident.kind}` },
                    h('td', { class: 'nowrap' }, clock(incident.at)),
                    h('td', { class: 'mono' }, incident.workerId),
                    h(
                      'td',
                      {},
                      h('span', { class: `badge incident incident-${incident.kind}` }, incident.kind),
                    ),
                    h('td', {}, incident.source === '' ? '—' : incident.source),
                    h('td', { class: 'mono small' }, incident.reportedBy),
                  ),
                ),
            ),
          ),
    );
  };

  const load = async (): Promise<void> => {
    try {
      render(await request<WorkersResponse>('/api/workers'));
    } catch (error) {
      replace(table, notice(error instanceof ApiFailure ? error.message : String(error), 'error'));
    }
  };
  context.onChange((event) => {
    if (event.type === 'workers') void load();
  });
  // "Seen … ago" moves on even when nothing changes.
  const tick = window.setInterval(() => void load(), 10_000);
  context.onLeave(() => clearInterval(tick));
  await load();
}
