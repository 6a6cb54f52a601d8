import { SerfRpcError } from '../errors';
import { toSerfMember } from './serf-member';
import type { SerfMember } from './serf-member';
import { SERF_MEMBER_EVENT_TYPES } from './serf-protocol';
import type { WireStreamRecord } from './serf-protocol';

/** The member event types a stream can deliver. */
export type SerfMemberEventType = (typeof SERF_MEMBER_EVENT_TYPES)[number];

/**
 * Members whose state changed. Serf coalesces member events: one event may name several members,
 * and it arrives about a second after `members` already shows the change.
 */
export interface SerfMemberEvent {
  type: SerfMemberEventType;
  members: SerfMember[];
}

/** A user event (`serf event NAME PAYLOAD` or {@link SerfRpcClient.event}). */
export interface SerfUserEvent {
  type: 'user';
  /** Lamport time of the event in the cluster; orders events and deduplicates replays. */
  lTime: number;
  name: string;
  /** The payload bytes; empty when none was sent. */
  payload: Uint8Array;
  /** Whether Serf may coalesce this event with others of the same name. */
  coalesce: boolean;
}

/** Anything a stream delivers, discriminated by `type`. */
export type SerfStreamEvent = SerfMemberEvent | SerfUserEvent;

/**
 * What a stream subscribes to, in Serf's filter syntax: a member event type, `user` for every user
 * event, `user:NAME` for user events with that name, or `*` for all member and user events.
 */
export type SerfEventFilter = '*' | SerfMemberEventType | 'user' | `user:${string}`;

/**
 * Compiles filters to the comma-separated text the agent expects. `*` is expanded to the member
 * and user types because the agent's own `*` also subscribes to queries, which would then wait for
 * answers this client does not give.
 */
export function compileEventFilter(filter: SerfEventFilter | readonly SerfEventFilter[]): string {
  const filters: readonly string[] = typeof filter === 'string' ? [filter] : filter;
  if (filters.length === 0) throw invalidFilter('no event type given');
  const parts = new Set<string>();
  for (const f of filters) {
    if (f === '*') {
      for (const type of SERF_MEMBER_EVENT_TYPES) parts.add(type);
      parts.add('user');
    } else if (f === 'user' || (SERF_MEMBER_EVENT_TYPES as readonly string[]).includes(f)) {
      parts.add(f);
    } else if (f.startsWith('user:')) {
      // A comma would split the filter on the agent's side; an empty name matches nothing useful.
      const name = f.slice('user:'.length);
      if (name === '' || name.includes(',')) throw invalidFilter(`bad user event name in '${f}'`);
      parts.add(f);
    } else {
      throw invalidFilter(`unknown event type '${f}'`);
    }
  }
  return [...parts].join(',');
}

function invalidFilter(reason: string): SerfRpcError {
  return new SerfRpcError('stream', 'invalid-request', `invalid event filter: ${reason}`);
}

/** Maps a decoded stream record to the public event type. */
export function toStreamEvent(record: WireStreamRecord): SerfStreamEvent {
  if (record.Event === 'user') {
    return {
      type: 'user',
      lTime: record.LTime,
      name: record.Name,
      // Copy: the decoder's bytes may be a view into a larger receive buffer.
      payload: record.Payload === null ? new Uint8Array(0) : Uint8Array.from(record.Payload),
      coalesce: record.Coalesce,
    };
  }
  return { type: record.Event, members: (record.Members ?? []).map(toSerfMember) };
}
