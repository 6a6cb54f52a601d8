import { shellQuote } from '@wlm/commons/remote';
import type { BatchJobSpec } from './batch-system';

/**
 * The body every adapter's script shares: the environment exported, then the command with its
 * arguments quoted, so that a value with spaces or `$` reaches the program as one literal word.
 */
export function scriptBody(spec: BatchJobSpec): string[] {
  const exports = Object.entries(spec.environment).map(
    ([name, value]) => `export ${name}=${shellQuote(value)}`,
  );
  const command = [spec.command, ...spec.args.map(shellQuote)].join(' ');
  return [...exports, `cd ${shellQuote(spec.workDir)}`, command];
}
