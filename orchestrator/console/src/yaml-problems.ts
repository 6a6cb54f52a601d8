import { LineCounter, isMap, isScalar, isSeq, parseDocument } from 'yaml';
import type { Node as YamlNode } from 'yaml';

/** A validation problem of a DAG definition and the line of the YAML it belongs to (1-based). */
export interface PlacedProblem {
  line: number;
  message: string;
}

const FIELDS = ['id', 'type', 'after', 'params', 'retry', 'timeoutMs', 'queueTimeoutMs', 'constraints'];

/**
 * Places each problem the API found (`DAG_INVALID`'s `problems`) on a line of the YAML the user
 * wrote, so the editor can show it beside that line: a syntax error's own line, else the task it
 * names (`task "b": …`, `task #2: …`, `cycle: a -> b -> a`), narrowed to the field it names when that
 * field is written in the task. A problem that names neither stays on line 1.
 */
export function placeProblems(text: string, problems: readonly string[]): PlacedProblem[] {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter });
  /** The line where a node starts; nodes the parser built carry their offsets in `range`. */
  const lineOf = (node: unknown): number | undefined => {
    const range = (node as { range?: readonly number[] } | null | undefined)?.range;
    return range?.[0] === undefined ? undefined : lineCounter.linePos(range[0]).line;
  };
  const tasksNode = isMap(document.contents) ? document.contents.get('tasks', true) : undefined;
  const items = isSeq(tasksNode) ? tasksNode.items : [];
  const taskItem = (label: string): YamlNode | undefined => {
    const byIndex = /^#(\d+)$/.exec(label);
    if (byIndex !== null) return items[Number(byIndex[1]) - 1] as YamlNode | undefined;
    return items.find((item) => isMap(item) && item.get('id') === label) as YamlNode | undefined;
  };
  const lastItemWithId = (id: string): YamlNode | undefined =>
    items.filter((item) => isMap(item) && item.get('id') === id).at(-1) as YamlNode | undefined;

  return problems.map((message) => {
    const syntax = /\bline (\d+)\b/.exec(message);
    if (syntax !== null) return { line: Number(syntax[1]), message };
    const duplicate = /^duplicate task id "([^"]+)"/.exec(message);
    if (duplicate?.[1] !== undefined) return { line: lineOf(lastItemWithId(duplicate[1])) ?? 1, message };
    const named = /^task (?:"((?:[^"\\]|\\.)*)"|(#\d+))/.exec(message) ?? /^cycle: ([^ ]+) ->/.exec(message);
    const label = named?.[1] ?? named?.[2];
    const item = label === undefined ? undefined : taskItem(label);
    if (item === undefined || !isMap(item)) return { line: 1, message };
    const rest = message.slice(named?.[0].length ?? 0);
    const field = FIELDS.find(
      (name) => new RegExp(`(^|[^A-Za-z])${name}([^A-Za-z]|$)`).test(rest) || rest.includes(`"${name}"`),
    );
    const unknown = /unknown field "([^"]+)"/.exec(rest)?.[1];
    const key = unknown ?? field;
    const pair =
      key === undefined
        ? undefined
        : item.items.find((candidate) => isScalar(candidate.key) && candidate.key.value === key);
    return { line: lineOf(pair?.key) ?? lineOf(item) ?? 1, message };
  });
}
