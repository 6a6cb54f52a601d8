import { listeningInodes } from '../../../src/stack/listener-pid';

// Shape of /proc/net/tcp: 127.0.0.1:5672 (0x1628) listening, an established socket on the same port,
// and 0.0.0.0:22 listening.
const TABLE = [
  '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
  '   0: 0100007F:1628 00000000:0000 0A 00000000:00000000 00:00000000 00000000   107        0 31337 1 0000000000000000 100 0 0 10 0',
  '   1: 0100007F:1628 0100007F:D2F0 01 00000000:00000000 00:00000000 00000000   107        0 40000 1 0000000000000000 20 4 30 10 -1',
  '   2: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 12345 1 0000000000000000 100 0 0 10 0',
  '',
].join('\n');

describe('listeningInodes', () => {
  it('finds the listening socket of a port and ignores connections on it', () => {
    expect(listeningInodes(TABLE, 5672)).toEqual(['31337']);
  });

  it('matches on the port whatever the address', () => {
    expect(listeningInodes(TABLE, 22)).toEqual(['12345']);
  });

  it('finds nothing for a port nobody listens on', () => {
    expect(listeningInodes(TABLE, 7687)).toEqual([]);
    expect(listeningInodes('', 7687)).toEqual([]);
  });
});
