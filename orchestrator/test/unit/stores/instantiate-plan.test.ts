import type { InstantiateRequest } from '../../../src/domain/dag-store';
import { planInstantiation } from '../../../src/stores/neo4j/instantiate-plan';

const request = (experimentId: string, experimentType = 'small', run = 1): InstantiateRequest => ({
  experimentId,
  run,
  experimentType,
  version: 1,
  inputs: {},
});
const sizes: Record<string, number> = { small: 4, big: 50 };
const sizeOf = (r: InstantiateRequest) => sizes[r.experimentType] ?? 1;
const indexes = (chunks: { index: number }[][]) => chunks.map((chunk) => chunk.map(({ index }) => index));

beforeEach(() => {
  expect.hasAssertions();
});

describe('planInstantiation', () => {
  it('keeps runs in order, in transactions of at most maxTasks nodes', () => {
    const plan = planInstantiation(
      ['e0', 'e1', 'e2', 'e3', 'e4'].map((id) => request(id)),
      sizeOf,
      10,
    );
    expect(indexes(plan.chunks)).toEqual([[0, 1], [2, 3], [4]]);
    expect(plan.invalid.size + plan.repeats.size).toBe(0);
  });

  it('gives a DAG larger than maxTasks a transaction of its own', () => {
    const plan = planInstantiation([request('a'), request('b', 'big'), request('c')], sizeOf, 10);
    expect(indexes(plan.chunks)).toEqual([[0], [1], [2]]);
  });

  it('sets invalid requests apart and plans a repeated run once, pointing the repeat at the first', () => {
    const plan = planInstantiation(
      [request('a'), request(''), request('a'), request('a', 'small', 2), request('b', 'small', 0)],
      sizeOf,
      100,
    );
    expect(indexes(plan.chunks)).toEqual([[0, 3]]);
    expect([...plan.invalid.keys()]).toEqual([1, 4]);
    expect(plan.invalid.get(1)?.name).toBe('StoreInputError');
    expect([...plan.repeats]).toEqual([[2, 0]]);
  });

  it('plans nothing for nothing', () => {
    expect(planInstantiation([], sizeOf, 10)).toEqual({ chunks: [], invalid: new Map(), repeats: new Map() });
  });
});
