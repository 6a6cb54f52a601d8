import { ApiFailure, request } from '../api.js';
import { h, replace, toast } from '../dom.js';
import { placeProblems } from '../yaml-problems.js';
import type { MasterDag } from '../types.js';

/** `type: name` at the top level of the YAML: where the definition is put. */
function typeOf(text: string): string | undefined {
  return /^type:\s*['"]?([A-Za-z][A-Za-z0-9_-]*)['"]?\s*(#.*)?$/m.exec(text)?.[1];
}

/**
 * A YAML editor with line numbers that uploads a new version of a master DAG. The API validates it
 * in full; each problem it finds is shown beside its line (number marked in the gutter) and listed
 * under the editor with its line.
 */
export function dagEditor(initial: string, onStored: (dag: MasterDag) => void): HTMLElement {
  const textarea = h('textarea', {
    id: 'dag-yaml',
    spellcheck: false,
    rows: 18,
    'aria-label': 'DAG definition (YAML)',
  });
  textarea.value = initial;
  const gutter = h('pre', { class: 'gutter', 'aria-hidden': 'true' });
  /** Beside the text, on the line of each problem: its message. */
  const notes = h('pre', { class: 'notes', id: 'dag-notes' });
  const problems = h('ul', { class: 'problems', id: 'dag-problems' });
  const error = h('p', { class: 'form-error', role: 'alert' });
  let bad = new Map<number, string>();

  const drawGutter = (): void => {
    const lines = textarea.value.split('\n').length;
    replace(
      gutter,
      Array.from({ length: lines }, (_, index) => {
        const line = index + 1;
        const message = bad.get(line);
        return message === undefined
          ? `${line}\n`
          : h('span', { class: 'bad', title: message, 'data-line': line }, `${line}\n`);
      }),
    );
    replace(
      notes,
      Array.from({ length: lines }, (_, index) => {
        const message = bad.get(index + 1);
        return message === undefined
          ? '\n'
          : [h('span', { class: 'note', title: message, 'data-line': index + 1 }, message), '\n'];
      }).flat(),
    );
    gutter.scrollTop = textarea.scrollTop;
    notes.scrollTop = textarea.scrollTop;
  };
  textarea.addEventListener('input', () => {
    bad = new Map();
    drawGutter();
  });
  textarea.addEventListener('scroll', () => {
    gutter.scrollTop = textarea.scrollTop;
    notes.scrollTop = textarea.scrollTop;
  });

  const upload = async (): Promise<void> => {
    error.textContent = '';
    replace(problems);
    const text = textarea.value;
    const type = typeOf(text);
    if (type === undefined) {
      error.textContent =
        'The definition needs a top-level "type: <name>" line: it names the experiment type.';
      return;
    }
    try {
      const stored = await request<MasterDag>(`/api/dags/${encodeURIComponent(type)}`, {
        method: 'PUT',
        text: { body: text, type: 'text/yaml' },
      });
      toast(`Stored ${stored.type} version ${stored.version}`);
      onStored(stored);
    } catch (failure) {
      if (!(failure instanceof ApiFailure)) throw failure;
      const placed = placeProblems(
        text,
        failure.problems.length > 0 ? failure.problems : [failure.message],
      ).sort((a, b) => a.line - b.line);
      bad = new Map(placed.map((problem) => [problem.line, problem.message]));
      drawGutter();
      error.textContent =
        failure.problems.length > 0
          ? `The API refused the definition (${placed.length} problem${placed.length === 1 ? '' : 's'}):`
          : '';
      replace(
        problems,
        placed.map((problem) =>
          h(
            'li',
            { 'data-line': problem.line },
            h('span', { class: 'where' }, `line ${problem.line}`),
            h('span', {}, problem.message),
          ),
        ),
      );
    }
  };

  drawGutter();
  return h(
    'div',
    { class: 'card form', id: 'dag-editor' },
    h(
      'div',
      { class: 'field' },
      h('label', { for: 'dag-yaml' }, 'Definition (YAML)'),
      h('div', { class: 'editor' }, gutter, textarea, notes),
    ),
    error,
    problems,
    h(
      'div',
      { class: 'actions' },
      h(
        'button',
        { class: 'primary', id: 'dag-upload', onclick: () => void upload() },
        'Validate and upload',
      ),
    ),
  );
}
