import { z } from 'zod';
import type { SerfRpcErrorKind } from '../errors';

/*
 * Serf agent RPC ("IPC") protocol, version 1, as implemented by hashicorp/serf's
 * cmd/serf/command/agent/ipc.go and measured against the Debian 0.8.2 agent.
 *
 * A request is a msgpack map {Command, Seq} followed, for most commands, by a msgpack body.
 * A response is a msgpack map {Seq, Error} followed by a body ONLY for some commands. Nothing frames
 * the messages, so the only way to know whether the next object is a body or the next header is to
 * remember which command each Seq was for. Getting it wrong desynchronises the whole connection.
 */

/** The IPC protocol version this client speaks (the agent supports exactly 1). */
export const SERF_IPC_VERSION = 1;

/**
 * Every command this client may send. The agent answers an unknown command with an error and then
 * closes the connection, so nothing outside this list ever reaches the socket.
 */
export const SERF_COMMANDS = [
  'handshake',
  'auth',
  'event',
  'force-leave',
  'join',
  'members',
  'members-filtered',
  'tags',
  'stream',
  'stop',
  'leave',
  'stats',
  'query',
] as const;

/** A command this client knows how to send and how to read the answer of. */
export type SerfCommand = (typeof SERF_COMMANDS)[number];

const KNOWN_COMMANDS: ReadonlySet<string> = new Set(SERF_COMMANDS);

/** True when `command` is one this client may send; see {@link SERF_COMMANDS}. */
export function isSerfCommand(command: string): command is SerfCommand {
  return KNOWN_COMMANDS.has(command);
}

/**
 * What follows a response header for each command when the agent reports no protocol-level error:
 * - `body`: always one body, even when `Error` is set (join sends `{Num}` with its error);
 * - `none`: header only;
 * - `optional`: header, then maybe a body. force-leave: 0.8.2 sends none, later agents send
 *   `{Exists}`. The client settles on the header and discards a following non-header object.
 * `stream` and `query` are special: the first header is a body-less ack, every later header carries
 * one record (an event; a query's acks, responses and its final `done`).
 */
export type SerfResponseShape = 'body' | 'none' | 'optional';

const RESPONSE_SHAPES: Readonly<Record<SerfCommand, SerfResponseShape>> = {
  handshake: 'none',
  auth: 'none',
  event: 'none',
  'force-leave': 'optional',
  join: 'body',
  members: 'body',
  'members-filtered': 'body',
  tags: 'none',
  stream: 'none',
  stop: 'none',
  leave: 'none',
  stats: 'body',
  query: 'none',
};

/** The error texts of ipc.go that a program must react to, and the kind each one means. */
const KNOWN_ERRORS: ReadonlyMap<string, SerfRpcErrorKind> = new Map([
  ['Authentication required', 'auth-required'],
  ['Invalid authentication token', 'invalid-auth-token'],
  ['Handshake required', 'handshake-required'],
  ['Handshake already performed', 'duplicate-handshake'],
  ['Unsupported command', 'unsupported-command'],
  ['Unsupported IPC version', 'unsupported-ipc-version'],
  ['Invalid event filter', 'invalid-filter'],
  ['Stream with given sequence exists', 'stream-exists'],
]);

/** serf.SetTags' error starts with this text when the encoded tags exceed 512 bytes. */
const TAGS_TOO_LARGE_PREFIX = 'Encoded length of tags exceeds limit';

/** Decodes the agent's error text into a {@link SerfRpcErrorKind}. */
export function serfErrorKind(error: string): SerfRpcErrorKind {
  const known = KNOWN_ERRORS.get(error);
  if (known !== undefined) return known;
  if (error.startsWith(TAGS_TOO_LARGE_PREFIX)) return 'tags-too-large';
  return 'agent-error';
}

/**
 * What follows a response header to `command` carrying `error`. The agent answers these errors before it reads the
 * request body, so it never sends a response body with them, whatever the command.
 */
export function responseShape(command: SerfCommand, error: string): SerfResponseShape {
  const kind = error === '' ? undefined : serfErrorKind(error);
  if (kind === 'auth-required' || kind === 'handshake-required' || kind === 'unsupported-command') {
    return 'none';
  }
  return RESPONSE_SHAPES[command];
}

// ---- Wire schemas. Go field names; `z.object` ignores fields later agents may add. ----

/** Every response starts with this header. */
export const responseHeaderSchema = z.object({ Seq: z.number().int().nonnegative(), Error: z.string() });
export type ResponseHeader = z.infer<typeof responseHeaderSchema>;

/** True when `value` has exactly the shape of a response header (used to spot optional bodies). */
export function isResponseHeader(value: unknown): value is ResponseHeader {
  return responseHeaderSchema.safeParse(value).success;
}

/** Member statuses as Go's `MemberStatus.String()` spells them. */
export const SERF_MEMBER_STATUSES = ['none', 'alive', 'leaving', 'left', 'failed'] as const;

const bytes = z.instanceof(Uint8Array);
const uint = z.number().int().nonnegative();

/** A member as the agent encodes it: `Addr` is the raw bytes of a Go `net.IP`. */
export const wireMemberSchema = z.object({
  Name: z.string(),
  Addr: bytes.nullable(),
  Port: uint,
  // A nil Go map (no tags) is encoded as msgpack nil.
  Tags: z.record(z.string(), z.string()).nullable(),
  Status: z.enum(SERF_MEMBER_STATUSES),
  ProtocolMin: uint,
  ProtocolMax: uint,
  ProtocolCur: uint,
  DelegateMin: uint,
  DelegateMax: uint,
  DelegateCur: uint,
});
export type WireMember = z.infer<typeof wireMemberSchema>;

/** Body of `members` and `members-filtered`. */
export const membersResponseSchema = z.object({ Members: z.array(wireMemberSchema).nullable() });

/** Body of `join`: how many nodes were joined. */
export const joinResponseSchema = z.object({ Num: z.number().int() });

/** Body of `stats`: sections (agent, runtime, serf, tags, …) of string values. */
export const statsResponseSchema = z.record(z.string(), z.record(z.string(), z.string()));

/** Member event types as Go's `EventType.String()` spells them in stream records. */
export const SERF_MEMBER_EVENT_TYPES = [
  'member-join',
  'member-leave',
  'member-failed',
  'member-update',
  'member-reap',
] as const;

/** A member event on a stream. */
export const wireMemberEventSchema = z.object({
  Event: z.enum(SERF_MEMBER_EVENT_TYPES),
  Members: z.array(wireMemberSchema).nullable(),
});

/** A user event on a stream; an empty payload arrives as nil. */
export const wireUserEventSchema = z.object({
  Event: z.literal('user'),
  LTime: uint,
  Name: z.string(),
  Payload: bytes.nullable(),
  Coalesce: z.boolean(),
});

/** Any record this client asks a stream for (it never subscribes to queries). */
export const wireStreamRecordSchema = z.discriminatedUnion('Event', [
  wireMemberEventSchema,
  wireUserEventSchema,
]);
export type WireStreamRecord = z.infer<typeof wireStreamRecordSchema>;

/**
 * One record of a query's answer stream: a node's `ack` (it received the query), its `response`,
 * then one `done` once the query's timeout has passed, after which the agent sends nothing more.
 */
export const wireQueryRecordSchema = z.object({
  Type: z.enum(['ack', 'response', 'done']),
  From: z.string(),
  Payload: bytes.nullable(),
});
export type WireQueryRecord = z.infer<typeof wireQueryRecordSchema>;

// ---- Request bodies, typed per command so a body can never be sent with the wrong command. ----

/** The body each command is sent with; `undefined` for commands sent without one. */
export interface SerfRequestBodies {
  handshake: { Version: number };
  auth: { AuthKey: string };
  event: { Name: string; Payload: Uint8Array; Coalesce: boolean };
  'force-leave': { Node: string };
  join: { Existing: string[]; Replay: boolean };
  members: undefined;
  'members-filtered': { Tags: Record<string, string>; Status: string; Name: string };
  tags: { Tags: Record<string, string>; DeleteTags: string[] };
  stream: { Type: string };
  stop: { Stop: number };
  leave: undefined;
  stats: undefined;
  /** `Timeout` in nanoseconds (a Go `time.Duration`); `FilterTags` maps tag names to patterns. */
  query: {
    FilterNodes: string[];
    FilterTags: Record<string, string>;
    RequestAck: boolean;
    RelayFactor: number;
    Timeout: number;
    Name: string;
    Payload: Uint8Array;
  };
}

/**
 * Why the agent could not compile `expr` as a members-filtered pattern, or `undefined` when it
 * probably can. The agent drops the connection (no answer at all) on a pattern Go's RE2 rejects,
 * so the client checks first. Best effort: constructs JavaScript has and RE2 lacks (lookaround,
 * backreferences, `(?<name>` before Go 1.22) are refused; RE2-only syntax (`(?i)`, `(?P<name>`) is
 * allowed; the rest must compile as a JavaScript pattern.
 */
export function goRegexpProblem(expr: string): string | undefined {
  if (/\(\?<?[=!]/.test(expr)) return 'lookaround assertions are not supported by Go regular expressions';
  if (/\\[1-9]|\\k</.test(expr)) return 'backreferences are not supported by Go regular expressions';
  if (expr.includes('(?<')) return "named groups are written '(?P<name>…)' in Go regular expressions";
  // Rewrite the RE2-only spellings into JavaScript ones just to test that the rest compiles.
  const asJs = expr
    .replace(/\(\?P</g, '(?<')
    .replace(/\(\?[imsU-]+\)/g, '')
    .replace(/\(\?[imsU-]+:/g, '(?:');
  try {
    new RegExp(`^${asJs}$`);
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}
