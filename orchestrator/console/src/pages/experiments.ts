import { ApiFailure, request } from '../api.js';
import { ago, elapsed, h, notice, replace, stateBadge } from '../dom.js';
import { replaceRoute } from '../page.js';
import type { PageContext } from '../page.js';
import { EXPERIMENT_STATES } from '../types.js';
import type { DagSummary, Experiment, Page } from '../types.js';

const PAGE_SIZE = 20;

/**
 * `#/experiments`: newest first, filtered by state, type and text (kept in the route, so a filtered
 * view can be shared), paged, and read again whenever the stream says an experiment changed.
 */
export async function experimentsPage(context: PageContext): Promise<void> {
  const { root, query } = context;
  const filters = {
    state: query.get('state') ?? '',
    type: query.get('type') ?? '',
    text: query.get('text') ?? '',
  };
  /** Cursors of the pages before the current one, to go back. */
  const previous: (string | null)[] = [];
  let cursor: string | null = null;

  const stateSelect = h(
    'select',
    { id: 'filter-state', 'aria-label': 'State' },
    h('option', { value: '' }, 'All states'),
    EXPERIMENT_STATES.map((state) => h('option', { value: state, selected: state === filters.state }, state)),
  );
  const typeSelect = h(
    'select',
    { id: 'filter-type', 'aria-label': 'Type' },
    h('option', { value: '' }, 'All types'),
  );
  const textInput = h('input', {
    id: 'filter-text',
    type: 'search',
    placeholder: 'Search id, type or failure…',
    value: filters.text,
  });
  const body = h('div', { class: 'table-wrap' });
  const pager = h('div', { class: 'pager' });
  const summary = h('span', { class: 'muted' });

  replace(
    root,
    h(
      'div',
      { class: 'page-head' },
      h('h1', {}, 'Experiments'),
      h('a', { class: 'button primary', href: '#/submit' }, 'Submit experiment'),
    ),
    h('div', { class: 'toolbar' }, stateSelect, typeSelect, textInput, summary),
    body,
    pager,
  );

  request<{ items: DagSummary[] }>('/api/dags')
    .then(({ items }) => {
      for (const dag of items)
        typeSelect.append(h('option', { value: dag.type, selected: dag.type === filters.type }, dag.type));
    })
    .catch(() => undefined);

  const load = async (): Promise<void> => {
    const params = new URLSearchParams({ limit: String(PAGE_SIZE) });
    if (filters.state !== '') params.set('state', filters.state);
    if (filters.type !== '') params.set('type', filters.type);
    if (filters.text !== '') params.set('text', filters.text);
    if (cursor !== null) params.set('cursor', cursor);
    try {
      const page = await request<Page<Experiment>>(`/api/experiments?${params.toString()}`);
      renderTable(page);
    } catch (error) {
      replace(body, notice(error instanceof ApiFailure ? error.message : String(error), 'error'));
    }
  };

  const renderTable = (page: Page<Experiment>): void => {
    summary.textContent = page.items.length === 0 ? '' : `page ${previous.length + 1}`;
    if (page.items.length === 0) {
      replace(
        body,
        notice(previous.length === 0 ? 'No experiments match these filters.' : 'No more experiments.'),
      );
    } else {
      replace(
        body,
        h(
          'table',
          { class: 'grid', id: 'experiments' },
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              ['Experiment', 'Type', 'State', 'Priority', 'Run', 'Created', 'Duration'].map((label) =>
                h('th', {}, label),
              ),
            ),
          ),
          h(
            'tbody',
            {},
            page.items.map((experiment) =>
              h(
                'tr',
                {
                  'data-id': experiment.id,
                  class: 'clickable',
                  onclick: () => {
                    location.hash = `#/experiments/${encodeURIComponent(experiment.id)}`;
                  },
                },
                h(
                  'td',
                  {},
                  h(
                    'a',
                    { class: 'mono', href: `#/experiments/${encodeURIComponent(experiment.id)}` },
                    experiment.id.slice(0, 8),
                  ),
                  experiment.failureReason === null
                    ? null
                    : h(
                        'div',
                        { class: 'row-reason', title: experiment.failureReason },
                        experiment.failureReason,
                      ),
                ),
                h('td', {}, experiment.type, h('span', { class: 'muted' }, ` v${experiment.dagVersion}`)),
                h('td', {}, stateBadge(experiment.state)),
                h('td', { class: 'num' }, experiment.priority),
                h('td', { class: 'num' }, experiment.run),
                h('td', { title: experiment.createdAt }, ago(experiment.createdAt)),
                h('td', { class: 'num' }, elapsed(experiment.startedAt, experiment.endedAt)),
              ),
            ),
          ),
        ),
      );
    }
    replace(
      pager,
      h(
        'button',
        {
          disabled: previous.length === 0,
          onclick: () => {
            cursor = previous.pop() ?? null;
            void load();
          },
        },
        '← Newer',
      ),
      h(
        'button',
        {
          disabled: page.nextCursor === null,
          onclick: () => {
            previous.push(cursor);
            cursor = page.nextCursor;
            void load();
          },
        },
        'Older →',
      ),
    );
  };

  const applyFilters = (): void => {
    filters.state = stateSelect.value;
    filters.type = typeSelect.value;
    filters.text = textInput.value.trim();
    const params = new URLSearchParams(Object.entries(filters).filter(([, value]) => value !== ''));
    replaceRoute(`/experiments${params.size === 0 ? '' : `?${params.toString()}`}`);
    previous.length = 0;
    cursor = null;
    void load();
  };
  stateSelect.addEventListener('change', applyFilters);
  typeSelect.addEventListener('change', applyFilters);
  let typing: number | undefined;
  textInput.addEventListener('input', () => {
    clearTimeout(typing);
    typing = window.setTimeout(applyFilters, 300);
  });

  // Live: a change of any experiment reads the page again, at most every half second.
  let pending: number | undefined;
  context.onChange((event) => {
    if (event.type !== 'experiment' || pending !== undefined) return;
    pending = window.setTimeout(() => {
      pending = undefined;
      void load();
    }, 500);
  });
  context.onLeave(() => {
    clearTimeout(pending);
    clearTimeout(typing);
  });
  // Durations of running experiments move on.
  const tick = window.setInterval(() => void load(), 15_000);
  context.onLeave(() => clearInterval(tick));
  await load();
}
