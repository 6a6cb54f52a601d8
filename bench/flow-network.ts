/**
 * A flow network with Dinic's maximum-flow algorithm.
 *
 * Dinic alternates a breadth-first search that layers the residual graph by distance from the source
 * with depth-first searches that push flow along shortest paths only, until the sink is unreachable.
 * On the unit-capacity bipartite graphs of batch placement (source → task → worker → sink) it runs in
 * O(E·√V), as Hopcroft–Karp does.
 *
 * {@link maxFlow} starts from the flow already in the network, so capacities may be raised between
 * calls (batch placement opens the source edges of one priority level at a time) and earlier flow is
 * rerouted, never removed: an augmenting path leaves the source by an unsaturated edge only.
 *
 * Edges are stored in pairs (forward at an even index, its reverse at the next odd one), so the
 * partner of edge `e` is `e ^ 1` and the flow on a forward edge is its reverse's residual capacity.
 */
export class FlowNetwork {
  private readonly target: number[] = [];
  private readonly residual: number[] = [];
  private readonly adjacency: number[][];
  private level = new Int32Array(0);
  private nextEdge = new Int32Array(0);

  constructor(readonly nodeCount: number) {
    this.adjacency = Array.from({ length: nodeCount }, () => []);
  }

  /** Adds an edge and returns its id. */
  addEdge(from: number, to: number, capacity: number): number {
    const edge = this.target.length;
    this.target.push(to, from);
    this.residual.push(capacity, 0);
    this.edgesOf(from).push(edge);
    this.edgesOf(to).push(edge + 1);
    return edge;
  }

  /** Sets an edge's capacity; it cannot go below the flow already on the edge. */
  setCapacity(edge: number, capacity: number): void {
    const flow = this.flow(edge);
    if (capacity < flow)
      throw new RangeError(`capacity ${capacity} is below the flow ${flow} on edge ${edge}`);
    this.residual[edge] = capacity - flow;
  }

  flow(edge: number): number {
    return this.residual[edge ^ 1] ?? 0;
  }

  /** Augments the current flow from `source` to `sink` to a maximum; returns how much it added. */
  maxFlow(source: number, sink: number): number {
    let added = 0;
    while (this.layer(source, sink)) {
      this.nextEdge = new Int32Array(this.nodeCount);
      for (;;) {
        const pushed = this.push(source, sink, Number.POSITIVE_INFINITY);
        if (pushed === 0) break;
        added += pushed;
      }
    }
    return added;
  }

  /** Breadth-first layering of the residual graph; returns whether the sink is reachable. */
  private layer(source: number, sink: number): boolean {
    this.level = new Int32Array(this.nodeCount).fill(-1);
    this.level[source] = 0;
    const queue = [source];
    for (let head = 0; head < queue.length; head += 1) {
      const node = queue[head] as number;
      for (const edge of this.edgesOf(node)) {
        const to = this.target[edge] as number;
        if ((this.residual[edge] as number) > 0 && this.level[to] === -1) {
          this.level[to] = (this.level[node] as number) + 1;
          queue.push(to);
        }
      }
    }
    return this.level[sink] !== -1;
  }

  /**
   * Pushes up to `limit` along one path of increasing level. `nextEdge` remembers, per node, the first
   * edge not yet known to be a dead end, which is what keeps a phase linear in the edges. Recursion is
   * as deep as the path is long: 3 edges for a direct placement, 2 more per task it reroutes, so at
   * most about twice the number of workers.
   */
  private push(node: number, sink: number, limit: number): number {
    if (node === sink) return limit;
    const edges = this.edgesOf(node);
    const nodeLevel = this.level[node] as number;
    for (let i = this.nextEdge[node] as number; i < edges.length; i += 1, this.nextEdge[node] = i) {
      const edge = edges[i] as number;
      const capacity = this.residual[edge] as number;
      const to = this.target[edge] as number;
      if (capacity <= 0 || this.level[to] !== nodeLevel + 1) continue;
      const pushed = this.push(to, sink, Math.min(limit, capacity));
      if (pushed > 0) {
        this.residual[edge] = capacity - pushed;
        this.residual[edge ^ 1] = (this.residual[edge ^ 1] as number) + pushed;
        return pushed;
      }
    }
    return 0;
  }

  private edgesOf(node: number): number[] {
    const edges = this.adjacency[node];
    if (edges === undefined)
      throw new RangeError(`node ${node} is not in a network of ${this.nodeCount} nodes`);
    return edges;
  }
}
