import { InvalidArgumentError } from 'commander';
import { WlmTopology } from '@wlm/commons/amqp';

/** `--namespace`: a topology namespace, refused with the topology's own reason. */
export function parseNamespace(value: string): string {
  try {
    return new WlmTopology(value).namespace;
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
}

export interface WholeNumberRange {
  readonly min: number;
  /** No upper bound when absent. */
  readonly max?: number;
  /** What the number counts, for the message: `slots` reads "a whole number of slots from 1 to 64". */
  readonly of?: string;
  /** The whole message after "expected ", when the range alone says too little. */
  readonly expected?: string;
}

/**
 * A parser of a whole number within a range: digits only (no sign, no fraction, no exponent), so
 * `--slots 1e3` or `--limit -5` are refused by name instead of read as something else.
 */
export function wholeNumber(range: WholeNumberRange): (value: string) => number {
  const { min, max, of } = range;
  const unit = of === undefined ? '' : ` of ${of}`;
  const expected =
    range.expected ??
    (max === undefined ? `a whole number${unit} ≥ ${min}` : `a whole number${unit} from ${min} to ${max}`);
  return (value: string): number => {
    const number = /^\d+$/.test(value.trim()) ? Number(value) : Number.NaN;
    if (!Number.isSafeInteger(number) || number < min || (max !== undefined && number > max))
      throw new InvalidArgumentError(`expected ${expected}`);
    return number;
  };
}

/** A comma-separated list, items trimmed, empty ones dropped. */
export function parseList(value: string): string[] {
  return value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}
