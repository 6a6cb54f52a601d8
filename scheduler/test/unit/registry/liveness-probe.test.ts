import pino from 'pino';
import { LIVENESS_QUERY, LivenessProbe } from '@wlm/scheduler';
import type { LivenessSink } from '@wlm/scheduler';

const logger = pino({ level: 'silent' });

/** A sink that records what the probe told it, checking the nodes it is given. */
function recordingSink(targets: () => readonly string[] = () => []) {
  const told: string[] = [];
  const sink: LivenessSink = {
    targets,
    silent: (node) => told.push(`silent ${node}`),
    heard: (node) => told.push(`heard ${node}`),
  };
  return { sink, told };
}

function probeWith(sink: LivenessSink, missesToFail = 2): LivenessProbe {
  const serf = { query: () => Promise.reject(new Error('no rounds in this test')) };
  return new LivenessProbe({ serf, logger, missesToFail }, sink);
}

describe('LivenessProbe rounds', () => {
  it('reports a node silent once it missed two rounds in a row, and only once', () => {
    const { sink, told } = recordingSink();
    const probe = probeWith(sink);
    probe.recordRound(['a', 'b'], new Set(['a']));
    expect(told).toEqual([]);
    probe.recordRound(['a', 'b'], new Set(['a']));
    expect(told).toEqual(['silent b']);
    probe.recordRound(['a', 'b'], new Set(['a']));
    expect(told).toEqual(['silent b']);
  });

  it('forgives a single missed round', () => {
    const { sink, told } = recordingSink();
    const probe = probeWith(sink);
    for (let round = 0; round < 6; round += 1) {
      probe.recordRound(['a'], round % 2 === 0 ? new Set() : new Set(['a']));
    }
    expect(told).toEqual([]);
  });

  it('reports a silent node heard when it acknowledges again, and counts afresh after', () => {
    const { sink, told } = recordingSink();
    const probe = probeWith(sink);
    probe.recordRound(['a'], new Set());
    probe.recordRound(['a'], new Set());
    probe.recordRound(['a'], new Set(['a']));
    expect(told).toEqual(['silent a', 'heard a']);
    probe.recordRound(['a'], new Set());
    expect(told).toEqual(['silent a', 'heard a']);
    probe.recordRound(['a'], new Set());
    expect(told).toEqual(['silent a', 'heard a', 'silent a']);
  });

  it('forgets the misses of a node no longer checked', () => {
    const { sink, told } = recordingSink();
    const probe = probeWith(sink);
    probe.recordRound(['a'], new Set());
    probe.recordRound([], new Set());
    probe.recordRound(['a'], new Set());
    expect(told).toEqual([]);
  });

  it('sends one query with acks to the targets each round, and stops on close', async () => {
    const rounds: { name: string; nodes: readonly string[] }[] = [];
    const { sink, told } = recordingSink(() => ['a', 'b']);
    let closeNow = (): void => undefined;
    const secondRound = new Promise<void>((resolve) => {
      closeNow = resolve;
    });
    const serf = {
      query: (name: string, options: { nodes?: readonly string[]; timeoutMs: number }) => {
        rounds.push({ name, nodes: options.nodes ?? [] });
        if (rounds.length === 2) closeNow();
        return Promise.resolve({ acks: new Set(['a']), responses: new Map<string, Uint8Array>() });
      },
    };
    const probe = new LivenessProbe({ serf, logger }, sink);
    probe.start();
    await secondRound;
    probe.close();
    // Rounds follow each other without a pause while there are targets: had close not stopped
    // them, more would have run by the next turn of the event loop.
    await new Promise(setImmediate);
    expect(rounds).toEqual([
      { name: LIVENESS_QUERY, nodes: ['a', 'b'] },
      { name: LIVENESS_QUERY, nodes: ['a', 'b'] },
    ]);
    // The second round's answer came after close: only the first counted.
    expect(told).toEqual([]);
  });
});
