/** Fields every task log line carries that the reader of one task's log does not need again. */
const SCOPE_FIELDS: ReadonlySet<string> = new Set([
  'level',
  'msg',
  'time',
  'pid',
  'hostname',
  'experimentId',
  'taskId',
  'attempt',
  'taskType',
  'run',
]);

const LEVEL_NAMES: Readonly<Record<number, string>> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO',
  40: 'WARN',
  50: 'ERROR',
  60: 'FATAL',
};

/**
 * One line of a task's log tail, for people: a plugin's pino line becomes `LEVEL message {fields}`,
 * stamped with when the worker received it (the child's logger writes no time); raw stdout/stderr is
 * kept as it was printed, prefixed with its stream.
 */
export function formatTaskLogLine(
  source: 'log' | 'stdout' | 'stderr',
  line: string,
  receivedAt: Date = new Date(),
): string {
  const time = receivedAt.toISOString().slice(11, 23);
  const text = line.trimEnd();
  if (source !== 'log') return `${time} ${source.toUpperCase()} ${text}`;
  let record: unknown;
  try {
    record = JSON.parse(text);
  } catch {
    return `${time} INFO ${text}`;
  }
  if (typeof record !== 'object' || record === null) return `${time} INFO ${text}`;
  const { level, msg } = record as { level?: unknown; msg?: unknown };
  const levelName = typeof level === 'number' ? (LEVEL_NAMES[level] ?? String(level)) : 'INFO';
  const extra = Object.fromEntries(Object.entries(record).filter(([key]) => !SCOPE_FIELDS.has(key)));
  const fields = Object.keys(extra).length === 0 ? '' : ` ${JSON.stringify(extra)}`;
  return `${time} ${levelName} ${typeof msg === 'string' ? msg : ''}${fields}`;
}
