import { MAX_JSON_DEPTH } from '@wlm/commons/wire';
import { findNonJson } from '../../../src/execution/json-check';

/** `levels` objects nested in one another, parsed from text: `{"n":{"n":1}}` is 2 levels. */
function parsedNesting(levels: number): unknown {
  return JSON.parse(`${'{"n":'.repeat(levels)}1${'}'.repeat(levels)}`);
}

// What counts as JSON is jsonProblems' (commons/test/unit/wire/json.test.ts); this is how the worker reports it.
describe('findNonJson', () => {
  it('accepts JSON values', () => {
    expect(findNonJson({ a: [1, 'x', null, true, { b: {} }] }, 'outputs')).toBeUndefined();
  });

  it('names only the first value that is not JSON, by its path below the root', () => {
    expect(findNonJson({ a: [1, undefined], when: new Date(0) }, 'outputs')).toBe(
      'outputs.a[1]: expected a JSON value, received undefined',
    );
    expect(findNonJson({ 'odd key': 10n }, 'checkpoint')).toBe(
      'checkpoint["odd key"]: not a JSON value (bigint)',
    );
  });

  it("accepts values nested as deep as the wire's limit, and names the first level past it", () => {
    expect(findNonJson(parsedNesting(MAX_JSON_DEPTH), 'outputs')).toBeUndefined();
    expect(findNonJson(parsedNesting(MAX_JSON_DEPTH + 1), 'outputs')).toBe(
      `outputs${'.n'.repeat(MAX_JSON_DEPTH)}: nested deeper than ${MAX_JSON_DEPTH} levels`,
    );
  });
});
