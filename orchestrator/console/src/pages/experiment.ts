import { ApiFailure, request } from '../api.js';
import { dagGraph } from '../dag-graph.js';
import { clock, elapsed, h, notice, replace, stateBadge, toast } from '../dom.js';
import type { PageContext } from '../page.js';
import type { AuditEntry, ExperimentView, Page } from '../types.js';
import { emptyPanel, taskPanel } from './task-panel.js';

/** Which actions each state allows (the API's rules; a refused one still answers 409). */
const ACTIONS: { name: 'cancel' | 'rerun' | 'resume'; label: string; states: string[]; style: string }[] = [
  { name: 'cancel', label: 'Cancel', states: ['PENDING', 'RUNNING'], style: 'danger' },
  { name: 'resume', label: 'Resume', states: ['FAILED', 'CANCELLED'], style: '' },
  { name: 'rerun', label: 'Rerun', states: ['COMPLETED', 'FAILED', 'CANCELLED'], style: '' },
];

function taskNote(task: ExperimentView['tasks'][number]): string | undefined {
  if (task.state === 'RUNNING' && task.progress?.percent !== null && task.progress?.percent !== undefined) {
    return `${Math.round(task.progress.percent)} %`;
  }
  return task.attempt > 1 ? `attempt ${task.attempt}` : undefined;
}

/**
 * `#/experiments/:id`: the experiment's facts and actions, its DAG coloured by task state with the
 * selected task's details beside it, and its audit trail; read again whenever the stream says the
 * experiment or one of its tasks changed.
 */
export async function experimentPage(context: PageContext): Promise<void> {
  const id = context.params['id'] ?? '';
  const path = `/api/experiments/${encodeURIComponent(id)}`;
  let selected: string | null = context.query.get('task');
  let view: ExperimentView | undefined;
  const head = h('div', { class: 'page-head' });
  const facts = h('div', { class: 'summary card' });
  const graphBox = h('div', { class: 'graph card', id: 'dag' });
  const panelBox = h('div', { class: 'panel-box' }, emptyPanel());
  const audit = h('div', { class: 'table-wrap', id: 'audit' });
  replace(
    context.root,
    h('a', { class: 'back', href: '#/experiments' }, '← Experiments'),
    head,
    facts,
    h('div', { class: 'split' }, graphBox, panelBox),
    h('h2', { class: 'section' }, 'Audit trail'),
    audit,
  );

  const act = async (name: string): Promise<void> => {
    try {
      await request(`${path}/${name}`, { method: 'POST' });
      toast(`${name[0]?.toUpperCase()}${name.slice(1)} done`);
      await load();
    } catch (error) {
      toast(error instanceof Error ? error.message : String(error), 'error');
    }
  };

  const render = (experiment: ExperimentView): void => {
    replace(
      head,
      h(
        'div',
        {},
        h('h1', { class: 'mono' }, experiment.id),
        h(
          'div',
          { class: 'subtitle' },
          stateBadge(experiment.state),
          ` ${experiment.type} · DAG v${experiment.dagVersion} · run ${experiment.run}`,
        ),
      ),
      h(
        'div',
        { class: 'actions' },
        ACTIONS.filter((action) => action.states.includes(experiment.state)).map((action) =>
          h(
            'button',
            { class: action.style, id: `action-${action.name}`, onclick: () => void act(action.name) },
            action.label,
          ),
        ),
      ),
    );
    const counts = new Map<string, number>();
    for (const task of experiment.tasks) counts.set(task.state, (counts.get(task.state) ?? 0) + 1);
    replace(
      facts,
      h(
        'dl',
        { class: 'facts inline' },
        [
          ['Priority', String(experiment.priority)],
          ['Created', clock(experiment.createdAt)],
          ['Started', clock(experiment.startedAt)],
          ['Ended', clock(experiment.endedAt)],
          ['Duration', elapsed(experiment.startedAt, experiment.endedAt)],
          [
            'Inputs',
            Object.keys(experiment.inputs).length === 0 ? 'none' : JSON.stringify(experiment.inputs),
          ],
        ].map(([label, value]) => h('div', {}, h('dt', {}, label), h('dd', { title: value }, value))),
      ),
      h(
        'div',
        { class: 'tally' },
        [...counts].map(([state, count]) => h('span', {}, stateBadge(state), ` ${count}`)),
      ),
      experiment.failureReason === null
        ? null
        : h('div', { class: 'callout callout-error' }, h('strong', {}, 'Why: '), experiment.failureReason),
    );
    replace(
      graphBox,
      dagGraph(
        experiment.tasks.map((task) => ({
          id: task.taskId,
          detail: task.taskType,
          state: task.state,
          ...(taskNote(task) === undefined ? {} : { note: taskNote(task) ?? '' }),
        })),
        experiment.edges,
        {
          selected,
          onSelect: (taskId) => {
            selected = taskId;
            render(experiment);
          },
        },
      ),
    );
    const task = experiment.tasks.find((candidate) => candidate.taskId === selected);
    replace(panelBox, task === undefined ? emptyPanel() : taskPanel(experiment, task, () => void load()));
  };

  const loadAudit = async (): Promise<void> => {
    const page = await request<Page<AuditEntry>>(`${path}/audit?limit=500`);
    const entries = page.items.slice(-100).reverse();
    replace(
      audit,
      h(
        'table',
        { class: 'grid compact' },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            ['When', 'What', 'Task', 'Change', 'By', 'Reason'].map((label) => h('th', {}, label)),
          ),
        ),
        h(
          'tbody',
          {},
          entries.map((entry) =>
            h(
              'tr',
              {},
              h('td', { class: 'nowrap' }, clock(entry.at).slice(11)),
              h('td', { class: 'mono' }, entry.type),
              h('td', { class: 'mono' }, entry.taskId ?? ''),
              h(
                'td',
                {},
                entry.toState === null
                  ? ''
                  : [entry.fromState === null ? '' : `${entry.fromState} → `, stateBadge(entry.toState)],
              ),
              h('td', { class: 'mono' }, entry.actor),
              h('td', { class: 'reason' }, entry.reason ?? ''),
            ),
          ),
        ),
      ),
    );
  };

  const load = async (): Promise<void> => {
    try {
      view = await request<ExperimentView>(path);
      render(view);
      await loadAudit();
    } catch (error) {
      replace(context.root, notice(error instanceof ApiFailure ? error.message : String(error), 'error'));
    }
  };

  let pending: number | undefined;
  context.onChange((event) => {
    const ours =
      (event.type === 'experiment' && event.data.id === id) ||
      (event.type === 'tasks' && event.data.experimentId === id);
    if (!ours || pending !== undefined) return;
    pending = window.setTimeout(() => {
      pending = undefined;
      void load();
    }, 300);
  });
  context.onLeave(() => clearTimeout(pending));
  await load();
}
