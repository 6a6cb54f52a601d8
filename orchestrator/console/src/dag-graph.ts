import { Graph, layout } from '@dagrejs/dagre';

export interface GraphNode {
  id: string;
  /** The second line of the box: the task type. */
  detail: string;
  /** A task state, which colours the box; absent for a master DAG. */
  state?: string;
  /** A short third line, e.g. `attempt 2` or `42 %`. */
  note?: string;
}

const NODE_WIDTH = 176;
const NODE_HEIGHT = 58;
const SVG = 'http://www.w3.org/2000/svg';

function svg<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attributes: Record<string, string | number>,
  text?: string,
): SVGElementTagNameMap[K] {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value));
  if (text !== undefined) element.textContent = text;
  return element;
}

/** Cuts a label to what fits in a box, with an ellipsis. */
function fit(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/**
 * The DAG as an SVG, laid out top to bottom by dagre (upstream above downstream, crossings kept
 * low), each task a box coloured by its state. `onSelect` is called with a task's id on click or
 * Enter; `selected` is outlined.
 */
export function dagGraph(
  nodes: readonly GraphNode[],
  edges: readonly { from: string; to: string }[],
  options: { selected?: string | null; onSelect?: (id: string) => void } = {},
): SVGSVGElement {
  const graph = new Graph();
  graph.setGraph({ rankdir: 'TB', nodesep: 28, ranksep: 46, marginx: 16, marginy: 16 });
  graph.setDefaultEdgeLabel(() => ({}));
  for (const node of nodes) graph.setNode(node.id, { width: NODE_WIDTH, height: NODE_HEIGHT });
  for (const edge of edges) graph.setEdge(edge.from, edge.to);
  layout(graph);
  const { width = 0, height = 0 } = graph.graph();

  const root = svg('svg', {
    class: 'dag',
    width,
    height,
    viewBox: `0 0 ${width} ${height}`,
    role: 'img',
    'aria-label': `DAG of ${nodes.length} tasks`,
  });
  const defs = svg('defs', {});
  const marker = svg('marker', {
    id: 'arrow',
    viewBox: '0 0 10 10',
    refX: 9,
    refY: 5,
    markerWidth: 7,
    markerHeight: 7,
    orient: 'auto-start-reverse',
  });
  marker.append(svg('path', { d: 'M 0 0 L 10 5 L 0 10 z', class: 'dag-arrow' }));
  defs.append(marker);
  root.append(defs);

  for (const edge of graph.edges()) {
    const points: { x: number; y: number }[] = graph.edge(edge)?.points ?? [];
    const d = points.map((point, index) => `${index === 0 ? 'M' : 'L'} ${point.x} ${point.y}`).join(' ');
    root.append(svg('path', { d, class: 'dag-edge', 'marker-end': 'url(#arrow)' }));
  }

  for (const node of nodes) {
    const box = graph.node(node.id);
    if (box === undefined) continue;
    const x = box.x - NODE_WIDTH / 2;
    const y = box.y - NODE_HEIGHT / 2;
    const state = node.state?.toLowerCase() ?? 'none';
    const group = svg('g', {
      class: `dag-node state-${state}${options.selected === node.id ? ' selected' : ''}`,
      transform: `translate(${x}, ${y})`,
      tabindex: 0,
      role: 'button',
      'data-task': node.id,
      'data-state': node.state ?? '',
    });
    group.append(svg('rect', { width: NODE_WIDTH, height: NODE_HEIGHT, rx: 8, class: 'dag-box' }));
    group.append(svg('rect', { width: 6, height: NODE_HEIGHT, rx: 3, class: 'dag-stripe' }));
    group.append(svg('text', { x: 16, y: 22, class: 'dag-title' }, fit(node.id, 20)));
    group.append(svg('text', { x: 16, y: 40, class: 'dag-detail' }, fit(node.detail, 24)));
    if (node.state !== undefined) {
      group.append(
        svg('text', { x: NODE_WIDTH - 10, y: 40, class: 'dag-state', 'text-anchor': 'end' }, node.state),
      );
    }
    if (node.note !== undefined) {
      group.append(
        svg('text', { x: NODE_WIDTH - 10, y: 22, class: 'dag-note', 'text-anchor': 'end' }, node.note),
      );
    }
    const title = svg('title', {}, `${node.id} (${node.detail})${node.state ? `: ${node.state}` : ''}`);
    group.append(title);
    const select = options.onSelect;
    if (select !== undefined) {
      group.addEventListener('click', () => select(node.id));
      group.addEventListener('keydown', (event) => {
        if (event.key === 'Enter' || event.key === ' ') select(node.id);
      });
    }
    root.append(group);
  }
  return root;
}
