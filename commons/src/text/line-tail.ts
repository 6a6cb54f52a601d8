/**
 * Keeps the last lines written to it within a count and a UTF-8 byte budget, dropping the oldest
 * first: a task's log tail (`TASK_LOG_TAIL`), kept for as long as the task runs whatever it prints.
 * A single line longer than the whole budget keeps only its end.
 */
export class LineTail {
  private readonly lines: { text: string; bytes: number }[] = [];
  private bytes = 0;
  private droppedLines = 0;

  constructor(
    private readonly maxLines: number,
    private readonly maxBytes: number,
  ) {}

  /** Adds one line (a trailing newline is dropped; inner newlines split it into several). */
  push(line: string): void {
    for (const part of line.replace(/\r?\n$/, '').split(/\r?\n/)) this.pushOne(part);
  }

  /** How many lines were dropped to stay within the bounds. */
  get dropped(): number {
    return this.droppedLines;
  }

  /** The kept lines joined with `\n`. */
  toString(): string {
    return this.lines.map((line) => line.text).join('\n');
  }

  private pushOne(raw: string): void {
    // The joined text counts one newline byte between lines; reserve it for every line.
    const text = clipStart(raw, this.maxBytes - 1);
    const bytes = Buffer.byteLength(text, 'utf8') + 1;
    this.lines.push({ text, bytes });
    this.bytes += bytes;
    while (this.lines.length > this.maxLines || this.bytes > this.maxBytes) {
      const oldest = this.lines.shift();
      if (oldest === undefined) break;
      this.bytes -= oldest.bytes;
      this.droppedLines += 1;
    }
  }
}

/** The end of `text` that fits in `maxBytes` of UTF-8, never splitting a character. */
function clipStart(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text, 'utf8') <= maxBytes) return text;
  const buffer = Buffer.from(text, 'utf8');
  let start = buffer.length - maxBytes;
  // Skip UTF-8 continuation bytes (10xxxxxx) so the cut falls on a character boundary.
  while (start < buffer.length && ((buffer[start] ?? 0) & 0xc0) === 0x80) start += 1;
  return buffer.subarray(start).toString('utf8');
}
