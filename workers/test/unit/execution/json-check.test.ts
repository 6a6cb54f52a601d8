import { MAX_JSON_DEPTH } from '@wlm/commons';
import { findNonJson } from '../../../src/execution/json-check';

/** `levels` objects nested in one another: `{ n: { n: 1 } }` is 2 levels. */
function nested(levels: number): unknown {
  let value: unknown = 1;
  for (let level = 0; level < levels; level += 1) value = { n: value };
  return value;
}

describe('findNonJson', () => {
  it('accepts JSON values', () => {
    expect(findNonJson({ a: [1, 'x', null, true, { b: {} }] }, 'outputs')).toBeUndefined();
    expect(findNonJson(Object.create(null), 'outputs')).toBeUndefined();
  });

  it.each([
    [{ a: [1, undefined] }, 'outputs.a[1]: expected a JSON value, received undefined'],
    [{ n: Number.NaN }, 'outputs.n: not a finite number (NaN)'],
    [{ count: 10n }, 'outputs.count: not a JSON value (bigint)'],
    [{ when: new Date(0) }, 'outputs.when: not a JSON value (Date)'],
    [{ run: () => 1 }, 'outputs.run: not a JSON value (function)'],
  ])('names the first value that is not JSON in %p', (value, problem) => {
    expect(findNonJson(value, 'outputs')).toBe(problem);
  });

  it('reports a cycle rather than recursing forever, but accepts shared subtrees', () => {
    const shared = { x: 1 };
    expect(findNonJson({ a: shared, b: shared }, 'outputs')).toBeUndefined();
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(findNonJson(cyclic, 'outputs')).toBe('outputs.self: contains itself (a circular reference)');
  });

  it("accepts values nested as deep as the wire's limit, and names the first level past it", () => {
    expect(findNonJson(nested(MAX_JSON_DEPTH), 'outputs')).toBeUndefined();
    expect(findNonJson({ list: [nested(MAX_JSON_DEPTH - 2)] }, 'outputs')).toBeUndefined();
    expect(findNonJson(nested(MAX_JSON_DEPTH + 1), 'outputs')).toBe(
      `outputs${'.n'.repeat(MAX_JSON_DEPTH)}: nested deeper than ${MAX_JSON_DEPTH} levels`,
    );
  });
});
