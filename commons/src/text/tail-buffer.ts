/** Keeps the last `maxChars` characters written to it, so a chatty process or command cannot fill memory. */
export class TailBuffer {
  private text = '';
  private dropped = false;

  constructor(private readonly maxChars: number) {}

  append(chunk: string): void {
    this.text += chunk;
    // Trim only once the buffer is twice the limit, so appends stay amortised O(1).
    if (this.text.length > 2 * this.maxChars) this.trim();
  }

  /** True when older output was dropped. */
  get truncated(): boolean {
    return this.dropped || this.text.length > this.maxChars;
  }

  toString(): string {
    this.trim();
    return this.text;
  }

  private trim(): void {
    if (this.text.length <= this.maxChars) return;
    this.text = this.text.slice(this.text.length - this.maxChars);
    this.dropped = true;
  }
}
