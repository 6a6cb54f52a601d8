import { listeningUnixPaths } from '../../../src/stack/listener-pid';

// Shape of /proc/net/unix: munged's listening socket, a connection to it, a listening abstract socket
// and an unnamed socket. Flags 00010000 marks a listening socket.
const TABLE = [
  'Num       RefCount Protocol Flags    Type St Inode Path',
  '00000000996933a6: 00000002 00000000 00010000 0001 01 50170 /run/munge/munge.socket.2',
  '000000001bbc8d5b: 00000003 00000000 00000000 0001 03 50171 /run/munge/munge.socket.2',
  '000000002bbc8d5b: 00000002 00000000 00010000 0001 01 50172 @/tmp/.X11-unix/X0',
  '000000003bbc8d5b: 00000003 00000000 00000000 0001 03  6999',
  '',
].join('\n');

describe('listeningUnixPaths', () => {
  it('lists the paths of listening Unix sockets only (how `stack status` checks munged quietly)', () => {
    expect(listeningUnixPaths(TABLE)).toEqual(['/run/munge/munge.socket.2', '@/tmp/.X11-unix/X0']);
  });

  it('finds nothing in an empty table', () => {
    expect(listeningUnixPaths('')).toEqual([]);
  });
});
