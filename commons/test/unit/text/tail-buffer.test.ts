import { TailBuffer } from '@wlm/commons/text';

describe('TailBuffer', () => {
  it('keeps everything while under its limit', () => {
    const buffer = new TailBuffer(10);
    buffer.append('abc');
    buffer.append('def');
    expect(buffer.toString()).toBe('abcdef');
    expect(buffer.truncated).toBe(false);
  });

  it('keeps only the last characters once past its limit, and says it dropped some', () => {
    const buffer = new TailBuffer(4);
    for (const chunk of ['one ', 'two ', 'three']) buffer.append(chunk);
    expect(buffer.toString()).toBe('hree');
    expect(buffer.truncated).toBe(true);
  });

  it('stays bounded however much is written', () => {
    const buffer = new TailBuffer(100);
    for (let i = 0; i < 10_000; i += 1) buffer.append('0123456789');
    expect(buffer.toString()).toHaveLength(100);
  });
});
