import {
  MAX_ERROR_CODE_LENGTH,
  defineFailureCodes,
  failureCodeInfo,
  registeredFailureCodes,
} from '@wlm/commons/wire';

/*
 * The failure-code registry: each component extends it with its codes, and a code can have one owner
 * only. Every test defines codes of its own (the registry lives as long as the module).
 */

describe('the failure-code registry', () => {
  it('returns the codes by name and records who reports each, with its retryability and meaning', () => {
    const codes = defineFailureCodes('worker', {
      busy: { code: 'TEST_BUSY', retryable: true, meaning: 'the test was busy' },
      broken: { code: 'TEST_BROKEN', retryable: false, meaning: 'the test broke' },
    });
    expect(codes).toEqual({ busy: 'TEST_BUSY', broken: 'TEST_BROKEN' });
    expect(failureCodeInfo('TEST_BUSY')).toEqual({
      code: 'TEST_BUSY',
      owner: 'worker',
      retryable: true,
      meaning: 'the test was busy',
    });
    expect(registeredFailureCodes().map((info) => info.code)).toEqual(
      expect.arrayContaining(['TEST_BUSY', 'TEST_BROKEN']),
    );
    expect(failureCodeInfo('A_PLUGIN_OWN_CODE')).toBeUndefined();
  });

  it('refuses a code another component registered, so an event never has two possible origins', () => {
    defineFailureCodes('scheduler', { lost: { code: 'TEST_LOST', retryable: true, meaning: 'lost' } });
    expect(() =>
      defineFailureCodes('worker', { lost: { code: 'TEST_LOST', retryable: true, meaning: 'lost' } }),
    ).toThrow(/TEST_LOST is registered already, by the scheduler/);
    expect(() =>
      defineFailureCodes('scheduler', { lost: { code: 'TEST_LOST', retryable: false, meaning: 'lost' } }),
    ).toThrow(/registered already/);
    expect(failureCodeInfo('TEST_LOST')?.owner).toBe('scheduler');
  });

  it('accepts the same definition again (a module loaded twice)', () => {
    const spec = { again: { code: 'TEST_AGAIN', retryable: 'depends', meaning: 'twice' } } as const;
    defineFailureCodes('worker', spec);
    expect(defineFailureCodes('worker', spec)).toEqual({ again: 'TEST_AGAIN' });
  });

  it('refuses a malformed code or one longer than the wire carries', () => {
    for (const code of ['lower_case', 'TRAILING_', '_LEADING', 'TWO__UNDERSCORES', '', 'SPACE D']) {
      expect(() => defineFailureCodes('worker', { bad: { code, retryable: true, meaning: 'bad' } })).toThrow(
        RangeError,
      );
    }
    const long = `T${'X'.repeat(MAX_ERROR_CODE_LENGTH)}`;
    expect(() =>
      defineFailureCodes('worker', { long: { code: long, retryable: true, meaning: 'long' } }),
    ).toThrow(RangeError);
    expect(failureCodeInfo(long)).toBeUndefined();
  });
});
