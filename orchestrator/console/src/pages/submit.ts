import { ApiFailure, request } from '../api.js';
import { h, notice, replace } from '../dom.js';
import type { PageContext } from '../page.js';
import { declaredInputs } from '../dag-inputs.js';
import type { DagSummary, Experiment, MasterDag } from '../types.js';

/** A value typed in a field: JSON when it parses as JSON (numbers, true, lists), text otherwise. */
function inputValue(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/**
 * `#/submit[?type=…]`: choose a type, fill in the inputs its DAG uses (one field each; values that
 * parse as JSON are sent as JSON), set a priority, submit — and land on the new experiment.
 */
export async function submitPage(context: PageContext): Promise<void> {
  let dags: DagSummary[];
  try {
    dags = (await request<{ items: DagSummary[] }>('/api/dags')).items;
  } catch (error) {
    replace(context.root, notice(error instanceof ApiFailure ? error.message : String(error), 'error'));
    return;
  }
  const typeSelect = h(
    'select',
    { id: 'submit-type', required: true },
    dags.map((dag) =>
      h('option', { value: dag.type, selected: dag.type === context.query.get('type') }, dag.type),
    ),
  );
  const inputs = h('div', { class: 'field', id: 'submit-inputs' });
  const priority = h('input', { id: 'submit-priority', type: 'number', min: 0, max: 9, value: 5 });
  const error = h('p', { class: 'form-error', role: 'alert' });
  const fields = new Map<string, HTMLInputElement>();

  // The type chosen last wins: a slower answer for a type chosen before it must not replace its
  // fields (the form would then send, or refuse to send, inputs of another DAG).
  let shown = 0;
  const showInputs = async (): Promise<void> => {
    const asked = ++shown;
    fields.clear();
    if (typeSelect.value === '') return;
    const dag = await request<MasterDag>(`/api/dags/${encodeURIComponent(typeSelect.value)}`);
    if (asked !== shown) return;
    const names = declaredInputs(dag);
    replace(
      inputs,
      h('label', {}, 'Inputs'),
      names.length === 0
        ? h('span', { class: 'hint' }, `${dag.type} v${dag.version} uses no inputs.`)
        : h(
            'span',
            { class: 'hint' },
            `What ${dag.type} v${dag.version} uses as {{inputs.…}}. Values that parse as JSON are sent as JSON.`,
          ),
      names.map((name) => {
        const input = h('input', {
          type: 'text',
          id: `input-${name}`,
          name,
          required: true,
          placeholder: name,
        });
        fields.set(name, input);
        return h(
          'div',
          { class: 'input-row' },
          h('label', { for: `input-${name}`, class: 'mono' }, name),
          input,
        );
      }),
    );
  };
  typeSelect.addEventListener('change', () => void showInputs());

  const form = h(
    'form',
    { class: 'card form', id: 'submit-form' },
    h('div', { class: 'field' }, h('label', { for: 'submit-type' }, 'Experiment type'), typeSelect),
    inputs,
    h(
      'div',
      { class: 'field' },
      h('label', { for: 'submit-priority' }, 'Priority'),
      h('span', { class: 'hint' }, '0 (lowest) to 9 (highest); 5 by default.'),
      priority,
    ),
    error,
    h(
      'div',
      { class: 'actions' },
      h('button', { class: 'primary', type: 'submit', id: 'submit-button' }, 'Submit experiment'),
    ),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    error.textContent = '';
    const values = Object.fromEntries([...fields].map(([name, input]) => [name, inputValue(input.value)]));
    request<Experiment>('/api/experiments', {
      json: { type: typeSelect.value, inputs: values, priority: Number(priority.value) },
    })
      .then((experiment) => {
        location.hash = `#/experiments/${encodeURIComponent(experiment.id)}`;
      })
      .catch((failure: unknown) => {
        error.textContent = failure instanceof Error ? failure.message : String(failure);
      });
  });
  replace(
    context.root,
    h('div', { class: 'page-head' }, h('h1', {}, 'Submit an experiment')),
    dags.length === 0 ? notice('No master DAGs yet: upload one first (Master DAGs).') : form,
  );
  await showInputs();
}
