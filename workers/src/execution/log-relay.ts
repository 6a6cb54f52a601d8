import type { Logger } from '@wlm/commons/logging';

type LevelMethod = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';
const LEVEL_METHODS: ReadonlySet<string> = new Set(['trace', 'debug', 'info', 'warn', 'error', 'fatal']);

/**
 * Writes one pino line from a task process through the worker's logger, so a task's log lines get
 * the worker's destination, format and scope fields. A line that is not pino JSON is kept as text.
 */
export function relayLogLine(logger: Logger, line: string): void {
  let record: unknown;
  try {
    record = JSON.parse(line);
  } catch {
    logger.info({ line: line.trimEnd() }, 'unparsable task log line');
    return;
  }
  if (typeof record !== 'object' || record === null) return;
  const { level, msg, ...fields } = record as { level?: unknown; msg?: unknown };
  const label = typeof level === 'number' ? logger.levels.labels[level] : undefined;
  const method: LevelMethod =
    label !== undefined && LEVEL_METHODS.has(label) ? (label as LevelMethod) : 'info';
  logger[method](fields, typeof msg === 'string' ? msg : '');
}

/** Relays a child's raw stdout/stderr (a plugin that prints rather than logs) at debug level. */
export function relayStreamLine(logger: Logger, stream: 'stdout' | 'stderr', line: string): void {
  if (line.trim() !== '') logger.debug({ stream }, line);
}
