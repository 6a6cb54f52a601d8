import { FlowNetwork } from '../../flow-network';

describe('FlowNetwork', () => {
  it('finds the maximum flow of the textbook network (CLRS 26.1: 23)', () => {
    const network = new FlowNetwork(6);
    const edges: Array<[number, number, number]> = [
      [0, 1, 16],
      [0, 2, 13],
      [2, 1, 4],
      [1, 3, 12],
      [3, 2, 9],
      [2, 4, 14],
      [4, 3, 7],
      [3, 5, 20],
      [4, 5, 4],
    ];
    for (const [from, to, capacity] of edges) network.addEdge(from, to, capacity);
    expect(network.maxFlow(0, 5)).toBe(23);
    expect(network.maxFlow(0, 5)).toBe(0);
  });

  it('augments from the flow already there when a capacity is raised', () => {
    const network = new FlowNetwork(4);
    const first = network.addEdge(0, 1, 1);
    const second = network.addEdge(0, 2, 0);
    network.addEdge(1, 3, 5);
    network.addEdge(2, 3, 5);
    expect(network.maxFlow(0, 3)).toBe(1);
    network.setCapacity(second, 3);
    expect(network.maxFlow(0, 3)).toBe(3);
    expect([network.flow(first), network.flow(second)]).toEqual([1, 3]);
    expect(() => network.setCapacity(second, 2)).toThrow(RangeError);
  });
});
