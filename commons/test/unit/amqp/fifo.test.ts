// Internal helper of the publisher; tested directly because its compaction only shows under load.
import { Fifo } from '../../../src/amqp/fifo';

describe('Fifo', () => {
  it('keeps order across compactions, front inserts and drains', () => {
    const fifo = new Fifo<number>();
    for (let i = 0; i < 5000; i++) fifo.push(i);
    for (let i = 0; i < 3000; i++) expect(fifo.shift()).toBe(i);
    expect(fifo.length).toBe(2000);
    fifo.insert(0, -2);
    fifo.insert(1, -1);
    expect(fifo.shift()).toBe(-2);
    expect(fifo.shift()).toBe(-1);
    expect(fifo.shift()).toBe(3000);
    const rest = fifo.drain();
    expect(rest).toHaveLength(1999);
    expect(rest[0]).toBe(3001);
    expect(fifo.length).toBe(0);
    expect(fifo.shift()).toBeUndefined();
  });
});
