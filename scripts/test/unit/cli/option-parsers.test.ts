import { InvalidArgumentError } from 'commander';
import { parseList, parseNamespace, wholeNumber } from '../../../src/cli/option-parsers';

describe('CLI option parsers', () => {
  it('reads a whole number within its range', () => {
    const slots = wholeNumber({ min: 1, max: 64, of: 'slots' });
    expect(slots('12')).toBe(12);
    expect(slots(' 64 ')).toBe(64);
  });

  it.each(['0', '65', '-1', '1.5', '1e3', '', 'four', '0x10'])('refuses %j, naming the range', (value) => {
    expect(() => wholeNumber({ min: 1, max: 64, of: 'slots' })(value)).toThrow(
      new InvalidArgumentError('expected a whole number of slots from 1 to 64'),
    );
  });

  it('says "≥ min" without an upper bound, and a message of its own when given one', () => {
    expect(() => wholeNumber({ min: 1 })('0')).toThrow('expected a whole number ≥ 1');
    expect(wholeNumber({ min: 1 })('123456789')).toBe(123456789);
    expect(() => wholeNumber({ min: 0, max: 9, expected: 'a priority from 0 to 9' })('10')).toThrow(
      'expected a priority from 0 to 9',
    );
  });

  it('refuses a namespace the topology refuses, with its reason', () => {
    expect(parseNamespace('lab-1')).toBe('lab-1');
    expect(() => parseNamespace('no spaces')).toThrow(InvalidArgumentError);
  });

  it('splits a comma list, trimming items and dropping empty ones', () => {
    expect(parseList(' echo, shell,,')).toEqual(['echo', 'shell']);
  });
});
