import pino from 'pino';
import type { Logger, LevelWithSilent } from 'pino';

export type { Logger };

export interface LoggerOptions {
  /** The component writing, e.g. `scheduler` or `worker`. */
  component: string;
  level?: LevelWithSilent;
  /** Human-readable lines instead of JSON; defaults to whether stderr is a terminal. */
  pretty?: boolean;
}

/**
 * Creates the root logger of a process: JSON lines on stderr (stdout stays free for command output),
 * pretty-printed when a person is watching. Components take child loggers with their scope fields.
 */
export function createLogger(options: LoggerOptions): Logger {
  const pretty = options.pretty ?? process.stderr.isTTY === true;
  const base = { level: options.level ?? 'info', base: { component: options.component } };
  if (pretty) {
    return pino({
      ...base,
      transport: { target: 'pino-pretty', options: { destination: 2, colorize: true } },
    });
  }
  return pino(base, pino.destination(2));
}
