/** Keeps the last `maxChars` characters written to it, so a chatty process cannot fill memory. */
export class TailBuffer {
  private text = '';

  constructor(private readonly maxChars: number) {}

  append(chunk: string): void {
    this.text += chunk;
    // Trim only once the buffer is twice the limit, so appends stay amortised O(1).
    if (this.text.length > 2 * this.maxChars) this.text = this.text.slice(-this.maxChars);
  }

  toString(): string {
    return this.text.length > this.maxChars ? this.text.slice(-this.maxChars) : this.text;
  }
}
