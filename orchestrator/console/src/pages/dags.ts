import { stringify } from 'yaml';
import { ApiFailure, request } from '../api.js';
import { dagGraph } from '../dag-graph.js';
import { ago, clock, h, notice, replace } from '../dom.js';
import type { PageContext } from '../page.js';
import type { DagSummary, MasterDag } from '../types.js';
import { dagEditor } from './dag-editor.js';

const STARTER = `type: my-experiment
description: what it does
tasks:
  - id: hello
    type: echo
    params: { message: '{{inputs.message}}' }
`;

/** `#/dags`: every master DAG with its versions; a new one is uploaded from YAML below. */
export async function dagsPage(context: PageContext): Promise<void> {
  const list = h('div', { class: 'table-wrap', id: 'dags' }, notice('Loading…'));
  replace(
    context.root,
    h('div', { class: 'page-head' }, h('h1', {}, 'Master DAGs')),
    list,
    h('h2', { class: 'section' }, 'Upload a DAG'),
    dagEditor(STARTER, (dag) => {
      location.hash = `#/dags/${encodeURIComponent(dag.type)}`;
    }),
  );
  try {
    const { items } = await request<{ items: DagSummary[] }>('/api/dags');
    replace(
      list,
      items.length === 0
        ? notice('No master DAGs yet: upload one below, or `wlm dag put FILE`.')
        : h(
            'table',
            { class: 'grid' },
            h(
              'thead',
              {},
              h(
                'tr',
                {},
                ['Type', 'Description', 'Latest', 'Versions', 'Updated'].map((label) => h('th', {}, label)),
              ),
            ),
            h(
              'tbody',
              {},
              items.map((dag) =>
                h(
                  'tr',
                  {},
                  h(
                    'td',
                    {},
                    h('a', { class: 'mono', href: `#/dags/${encodeURIComponent(dag.type)}` }, dag.type),
                  ),
                  h('td', { class: 'reason' }, dag.description ?? ''),
                  h('td', { class: 'num' }, `v${dag.latestVersion}`),
                  h('td', { class: 'num' }, dag.versions),
                  h('td', { title: dag.updatedAt }, ago(dag.updatedAt)),
                ),
              ),
            ),
          ),
    );
  } catch (error) {
    replace(list, notice(error instanceof ApiFailure ? error.message : String(error), 'error'));
  }
}

/** `#/dags/:type[?version=N]`: one version drawn as a graph beside its definition; a new version uploaded below. */
export async function dagPage(context: PageContext): Promise<void> {
  const type = context.params['type'] ?? '';
  const version = context.query.get('version');
  let dag: MasterDag;
  try {
    dag = await request<MasterDag>(
      `/api/dags/${encodeURIComponent(type)}${version === null ? '' : `?version=${version}`}`,
    );
  } catch (error) {
    replace(context.root, notice(error instanceof ApiFailure ? error.message : String(error), 'error'));
    return;
  }
  const latest = await request<MasterDag>(`/api/dags/${encodeURIComponent(type)}`);
  const versions = h(
    'select',
    { id: 'dag-version', 'aria-label': 'Version' },
    Array.from({ length: latest.version }, (_, index) => latest.version - index).map((number) =>
      h(
        'option',
        { value: number, selected: number === dag.version },
        `version ${number}${number === latest.version ? ' (latest)' : ''}`,
      ),
    ),
  );
  versions.addEventListener('change', () => {
    location.hash = `#/dags/${encodeURIComponent(type)}?version=${versions.value}`;
  });
  const tasks = dag.definition.tasks;
  const yaml = stringify(dag.definition);
  replace(
    context.root,
    h('a', { class: 'back', href: '#/dags' }, '← Master DAGs'),
    h(
      'div',
      { class: 'page-head' },
      h(
        'div',
        {},
        h('h1', { class: 'mono' }, dag.type),
        h(
          'div',
          { class: 'subtitle' },
          dag.description ?? '',
          h('span', { class: 'muted' }, ` · stored ${clock(dag.createdAt)}`),
        ),
      ),
      h(
        'div',
        { class: 'actions' },
        versions,
        h('a', { class: 'button primary', href: `#/submit?type=${encodeURIComponent(dag.type)}` }, 'Submit'),
      ),
    ),
    h(
      'div',
      { class: 'dag-layout' },
      h(
        'div',
        { class: 'graph card', id: 'dag' },
        dagGraph(
          tasks.map((task) => ({ id: task.id, detail: task.type })),
          tasks.flatMap((task) => (task.after ?? []).map((from) => ({ from, to: task.id }))),
        ),
      ),
      h(
        'div',
        { class: 'card panel' },
        h('h3', { style: 'margin-top: 0' }, `Definition, version ${dag.version}`),
        h('pre', { class: 'code', style: 'max-height: 560px' }, yaml),
      ),
    ),
    h('h2', { class: 'section' }, 'Upload a new version'),
    dagEditor(stringify(latest.definition), (stored) => {
      location.hash = `#/dags/${encodeURIComponent(stored.type)}?version=${stored.version}`;
    }),
  );
}
