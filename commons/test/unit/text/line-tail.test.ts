import { LineTail } from '@wlm/commons/text';
import { TASK_LOG_TAIL, taskLogTailSchema } from '@wlm/commons/wire';

describe('LineTail', () => {
  it('keeps the last lines within the line count', () => {
    const tail = new LineTail(3, 1000);
    for (let index = 1; index <= 5; index += 1) tail.push(`line ${index}`);
    expect(tail.toString()).toBe('line 3\nline 4\nline 5');
    expect(tail.dropped).toBe(2);
  });

  it('keeps the joined text within the byte budget, dropping the oldest lines first', () => {
    const tail = new LineTail(100, 12);
    tail.push('aaaa');
    tail.push('bbbb');
    tail.push('cccc');
    expect(tail.toString()).toBe('bbbb\ncccc');
    expect(Buffer.byteLength(tail.toString())).toBeLessThanOrEqual(12);
  });

  it('keeps the end of a line longer than the budget without splitting a character', () => {
    const tail = new LineTail(10, 8);
    tail.push(`start${'é'.repeat(10)}`);
    const text = tail.toString();
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(8);
    expect(text).toBe('ééé');
  });

  it('splits text with newlines into lines and drops a trailing newline', () => {
    const tail = new LineTail(10, 100);
    tail.push('one\r\ntwo\n');
    expect(tail.toString()).toBe('one\ntwo');
  });

  it('always yields what the wire accepts as a log tail, however much is pushed', () => {
    const tail = new LineTail(TASK_LOG_TAIL.maxLines, TASK_LOG_TAIL.maxBytes);
    for (let index = 0; index < 5000; index += 1) tail.push(`${index} ${'x€'.repeat(index % 300)}`);
    expect(taskLogTailSchema.safeParse(tail.toString()).success).toBe(true);
    expect(taskLogTailSchema.safeParse('x\n'.repeat(TASK_LOG_TAIL.maxLines + 1)).success).toBe(false);
  });
});
