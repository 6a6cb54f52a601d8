import { findNonJson } from '../../../src/execution/json-check';

describe('findNonJson', () => {
  it('accepts JSON values', () => {
    expect(findNonJson({ a: [1, 'x', null, true, { b: {} }] }, 'outputs')).toBeUndefined();
    expect(findNonJson(Object.create(null), 'outputs')).toBeUndefined();
  });

  it.each([
    [{ a: [1, undefined] }, 'outputs.a[1]: a undefined is not a JSON value'],
    [{ n: Number.NaN }, 'outputs.n: NaN is not a JSON number'],
    [{ count: 10n }, 'outputs.count: a bigint is not a JSON value'],
    [{ when: new Date(0) }, 'outputs.when: a Date is not a plain JSON object'],
    [{ run: () => 1 }, 'outputs.run: a function is not a JSON value'],
  ])('names the first value that is not JSON in %p', (value, problem) => {
    expect(findNonJson(value, 'outputs')).toBe(problem);
  });

  it('reports a cycle rather than recursing forever, but accepts shared subtrees', () => {
    const shared = { x: 1 };
    expect(findNonJson({ a: shared, b: shared }, 'outputs')).toBeUndefined();
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(findNonJson(cyclic, 'outputs')).toBe('outputs.self: circular reference');
  });
});
