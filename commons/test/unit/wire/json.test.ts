import { isJsonObjectShape, jsonProblems } from '@wlm/commons/wire';

/** `levels` objects nested in one another: `{ n: { n: 1 } }` is 2 levels. */
function nested(levels: number): unknown {
  let value: unknown = 1;
  for (let level = 0; level < levels; level += 1) value = { n: value };
  return value;
}

describe('jsonProblems', () => {
  it('finds nothing wrong with JSON values', () => {
    expect(jsonProblems({ a: [1, 'x', null, true, { b: {} }] })).toEqual([]);
    expect(jsonProblems(Object.create(null))).toEqual([]);
  });

  it('names every value that is not JSON by its path', () => {
    const sparse: unknown[] = [1];
    sparse[2] = 3;
    expect(
      jsonProblems({
        n: Number.NaN,
        count: 10n,
        when: new Date(0),
        run: () => 1,
        list: [1, undefined],
        sparse,
      }),
    ).toEqual([
      { path: ['n'], message: 'not a finite number (NaN)' },
      { path: ['count'], message: 'not a JSON value (bigint)' },
      { path: ['when'], message: 'not a JSON value (Date)' },
      { path: ['run'], message: 'not a JSON value (function)' },
      { path: ['list', 1], message: 'expected a JSON value, received undefined' },
      { path: ['sparse', 1], message: 'expected a JSON value, received undefined' },
    ]);
  });

  it('reports a cycle rather than recursing forever, but accepts shared subtrees', () => {
    const shared = { x: 1 };
    expect(jsonProblems({ a: shared, b: [shared] })).toEqual([]);
    const cyclic: Record<string, unknown> = { list: [] };
    (cyclic.list as unknown[]).push(cyclic);
    expect(jsonProblems(cyclic)).toEqual([
      { path: ['list', 0], message: 'contains itself (a circular reference)' },
    ]);
  });

  it('accepts values nested as deep as maxDepth, and names the first level past it', () => {
    expect(jsonProblems(nested(3), { maxDepth: 3 })).toEqual([]);
    expect(jsonProblems({ list: [nested(1)] }, { maxDepth: 3 })).toEqual([]);
    expect(jsonProblems(nested(4), { maxDepth: 3 })).toEqual([
      { path: ['n', 'n', 'n'], message: 'nested deeper than 3 levels' },
    ]);
    expect(jsonProblems(nested(100))).toEqual([]);
  });

  it('stops after maxProblems', () => {
    expect(jsonProblems([Number.NaN, Number.NaN, Number.NaN], { maxProblems: 2 })).toHaveLength(2);
  });
});

describe('isJsonObjectShape', () => {
  it('is true for plain objects only', () => {
    expect([{}, Object.create(null), [], null, new Date(0), 'x'].map(isJsonObjectShape)).toEqual([
      true,
      true,
      false,
      false,
      false,
      false,
    ]);
  });
});
