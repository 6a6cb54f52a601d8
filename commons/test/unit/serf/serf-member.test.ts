import { formatIpAddress, toSerfMember } from '../../../src/serf/serf-member';
import type { WireMember } from '../../../src/serf/serf-protocol';

describe('formatIpAddress', () => {
  it.each([
    [[127, 0, 0, 1], '127.0.0.1'],
    [[10, 255, 0, 7], '10.255.0.7'],
    // Go's net.IP keeps IPv4 in 16-byte form in places; it must still print as IPv4.
    [[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 168, 1, 20], '192.168.1.20'],
    [[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], '::1'],
    [[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], '::'],
    [
      [0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0x02, 0x1a, 0x2b, 0xff, 0xfe, 0x3c, 0x4d, 0x5e],
      'fe80::21a:2bff:fe3c:4d5e',
    ],
    [[0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1], '2001:db8:0:1::1'],
    // RFC 5952: the longest zero run is compressed; on a tie the first; a single zero group never.
    [[0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1], '2001:db8::1:0:0:1'],
    [[0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1], '2001:db8:0:1:1:1:1:1'],
    [[], ''],
  ])('formats %j as %s', (bytes, text) => {
    expect(formatIpAddress(Uint8Array.from(bytes))).toBe(text);
  });

  it('shows an address of impossible length as hex instead of guessing', () => {
    expect(formatIpAddress(Uint8Array.from([1, 2, 3]))).toBe('?010203');
  });
});

describe('toSerfMember', () => {
  const wire: WireMember = {
    Name: 'worker-1',
    Addr: Uint8Array.from([127, 0, 0, 1]),
    Port: 7946,
    Tags: { tasks: 'echo', slots: '4' },
    Status: 'alive',
    ProtocolMin: 1,
    ProtocolMax: 5,
    ProtocolCur: 2,
    DelegateMin: 2,
    DelegateMax: 5,
    DelegateCur: 4,
  };

  it('maps Go field names to camelCase and the address bytes to text', () => {
    expect(toSerfMember(wire)).toEqual({
      name: 'worker-1',
      addr: '127.0.0.1',
      port: 7946,
      tags: { tasks: 'echo', slots: '4' },
      status: 'alive',
      protocolMin: 1,
      protocolMax: 5,
      protocolCur: 2,
      delegateMin: 2,
      delegateMax: 5,
      delegateCur: 4,
    });
  });

  it('gives a member without tags (nil map on the wire) an empty tag map', () => {
    expect(toSerfMember({ ...wire, Tags: null, Addr: null })).toMatchObject({ tags: {}, addr: '' });
  });
});
