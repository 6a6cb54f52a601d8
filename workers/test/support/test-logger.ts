import pino from 'pino';
import type { Logger } from '@wlm/commons/logging';

export interface CapturedLogger {
  logger: Logger;
  /** Every line written so far, parsed. */
  records(): Array<Record<string, unknown>>;
}

/** A logger that keeps its JSON lines in memory, so tests can assert on what was logged. */
export function captureLogger(level = 'debug'): CapturedLogger {
  const lines: string[] = [];
  const logger = pino({ level }, { write: (line: string) => void lines.push(line) });
  return {
    logger,
    records: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}
