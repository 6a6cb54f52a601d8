import type { SERF_MEMBER_STATUSES, WireMember } from './serf-protocol';

/**
 * A member's status as the agent reports it. Serf never exposes "suspect" over RPC; a suspect
 * member stays `alive` until it is declared `failed`. `none` only appears for a member the agent has
 * not finished learning about.
 */
export type SerfMemberStatus = (typeof SERF_MEMBER_STATUSES)[number];

/** One node of the Serf cluster, as seen by the agent we talk to. */
export interface SerfMember {
  /** The node name (`-node`), unique in the cluster. */
  name: string;
  /** The gossip address as text: dotted IPv4 (`127.0.0.1`) or RFC 5952 IPv6 (`fe80::1`). */
  addr: string;
  /** The gossip port. */
  port: number;
  /** The member's tags (at most 512 bytes in total, Serf's limit). */
  tags: Readonly<Record<string, string>>;
  status: SerfMemberStatus;
  /** Memberlist protocol range and current version. */
  protocolMin: number;
  protocolMax: number;
  protocolCur: number;
  /** Serf (delegate) protocol range and current version. */
  delegateMin: number;
  delegateMax: number;
  delegateCur: number;
}

const V4_MAPPED_PREFIX = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff] as const;

/**
 * Turns the raw bytes of a Go `net.IP` into text the way Go's `IP.String()` does: 4 bytes or an
 * IPv4-mapped 16-byte address give dotted IPv4, other 16-byte addresses give compressed IPv6.
 * An empty address gives `''`; any other length (never sent by Serf) gives hex so it is still visible.
 */
export function formatIpAddress(bytes: Uint8Array): string {
  if (bytes.length === 0) return '';
  if (bytes.length === 4) return Array.from(bytes).join('.');
  if (bytes.length !== 16) return `?${Buffer.from(bytes).toString('hex')}`;
  if (V4_MAPPED_PREFIX.every((b, i) => bytes[i] === b)) return Array.from(bytes.subarray(12)).join('.');
  return formatIpv6(bytes);
}

function formatIpv6(bytes: Uint8Array): string {
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0));
  // RFC 5952: '::' replaces the longest run of two or more zero groups, the first one on a tie.
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < groups.length;) {
    if (groups[i] !== 0) {
      i += 1;
      continue;
    }
    let j = i;
    while (j < groups.length && groups[j] === 0) j += 1;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = (part: number[]) => part.map((g) => g.toString(16)).join(':');
  if (bestStart < 0) return hex(groups);
  return `${hex(groups.slice(0, bestStart))}::${hex(groups.slice(bestStart + bestLength))}`;
}

/** Maps a decoded wire member (Go field names, raw address bytes) to a {@link SerfMember}. */
export function toSerfMember(wire: WireMember): SerfMember {
  return {
    name: wire.Name,
    addr: wire.Addr === null ? '' : formatIpAddress(wire.Addr),
    port: wire.Port,
    // A member without tags arrives as msgpack nil (a nil Go map).
    tags: wire.Tags ?? {},
    status: wire.Status,
    protocolMin: wire.ProtocolMin,
    protocolMax: wire.ProtocolMax,
    protocolCur: wire.ProtocolCur,
    delegateMin: wire.DelegateMin,
    delegateMax: wire.DelegateMax,
    delegateCur: wire.DelegateCur,
  };
}
