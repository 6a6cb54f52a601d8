import { decodeMulti } from '@msgpack/msgpack';
import {
  SERF_COMMANDS,
  goRegexpProblem,
  isResponseHeader,
  isSerfCommand,
  joinResponseSchema,
  membersResponseSchema,
  responseHeaderSchema,
  responseShape,
  serfErrorKind,
  wireStreamRecordSchema,
} from '../../../src/serf/serf-protocol';
import { toSerfMember } from '../../../src/serf/serf-member';
import { toStreamEvent } from '../../../src/serf/serf-events';
import { HANDSHAKE_ACK_SEQ1, JOIN_ERROR_SEQ4, MEMBERS_SEQ2, STREAM_SEQ2, hex } from './captured-serf-bytes';

describe('decoding captured agent bytes', () => {
  it('reads a header-only handshake ack', () => {
    const values = [...decodeMulti(hex(HANDSHAKE_ACK_SEQ1))];
    expect(values).toHaveLength(1);
    expect(responseHeaderSchema.parse(values[0])).toEqual({ Seq: 1, Error: '' });
  });

  it('reads a members answer as header + body, with Addr as raw bytes', () => {
    const [header, body, ...rest] = [...decodeMulti(hex(MEMBERS_SEQ2))];
    expect(rest).toHaveLength(0);
    expect(responseHeaderSchema.parse(header)).toEqual({ Seq: 2, Error: '' });
    const members = membersResponseSchema.parse(body).Members ?? [];
    expect(members[0]?.Addr).toBeInstanceOf(Uint8Array);
    expect(members.map(toSerfMember)).toEqual([
      expect.objectContaining({
        name: 'probe-a',
        addr: '127.0.0.1',
        port: 17946,
        tags: { role: 'x' },
        status: 'alive',
      }),
    ]);
  });

  it('reads a failed join as an error header followed by a body nonetheless', () => {
    const [header, body] = [...decodeMulti(hex(JOIN_ERROR_SEQ4))];
    const parsed = responseHeaderSchema.parse(header);
    expect(parsed.Error).toMatch(/Failed to join/);
    expect(responseShape('join', parsed.Error)).toBe('body');
    expect(joinResponseSchema.parse(body)).toEqual({ Num: 0 });
  });

  it('reads stream records as one header and one body per event', () => {
    const values = [...decodeMulti(hex(STREAM_SEQ2))];
    // The ack, then three (header, record) pairs.
    expect(values).toHaveLength(7);
    expect(values.filter(isResponseHeader).map((h) => h.Seq)).toEqual([2, 2, 2, 2]);
    const events = [values[2], values[4], values[6]].map((v) =>
      toStreamEvent(wireStreamRecordSchema.parse(v)),
    );
    expect(events[0]).toEqual({
      type: 'user',
      lTime: 3,
      name: 'deploy',
      payload: new TextEncoder().encode('v1'),
      coalesce: false,
    });
    expect(events[1]).toEqual({
      type: 'member-failed',
      members: [
        expect.objectContaining({ name: 'probe-c', status: 'failed', tags: { x: 'y' }, port: 17948 }),
      ],
    });
    expect(events[2]).toMatchObject({
      type: 'member-update',
      members: [{ name: 'probe-a', tags: { role: 'x', a: '1' } }],
    });
  });
});

describe('responseShape', () => {
  it('knows which answers carry a body', () => {
    expect(SERF_COMMANDS.filter((c) => responseShape(c, '') === 'body')).toEqual([
      'join',
      'members',
      'members-filtered',
      'stats',
    ]);
    expect(responseShape('force-leave', '')).toBe('optional');
  });

  it.each(['Authentication required', 'Handshake required', 'Unsupported command'])(
    'expects no body after "%s", whatever the command',
    (error) => {
      expect(responseShape('members', error)).toBe('none');
      expect(responseShape('join', error)).toBe('none');
    },
  );
});

describe('serfErrorKind', () => {
  it.each([
    ['Authentication required', 'auth-required'],
    ['Invalid authentication token', 'invalid-auth-token'],
    ['Invalid event filter', 'invalid-filter'],
    ['Stream with given sequence exists', 'stream-exists'],
    ['Encoded length of tags exceeds limit of 512 bytes', 'tags-too-large'],
    ['1 error occurred: Failed to join 127.0.0.1', 'agent-error'],
  ])('maps "%s" to %s', (text, kind) => {
    expect(serfErrorKind(text)).toBe(kind);
  });
});

describe('commands', () => {
  it('refuses anything outside the known command list', () => {
    expect(isSerfCommand('members')).toBe(true);
    expect(isSerfCommand('monitor')).toBe(false);
    expect(isSerfCommand('Members')).toBe(false);
  });
});

describe('goRegexpProblem', () => {
  it.each(['alive', 'alive|failed', 'worker-.*', '(?i)Worker', '(?P<n>a+)b', 'a{2,3}', ''])(
    'accepts %s',
    (p) => {
      expect(goRegexpProblem(p)).toBeUndefined();
    },
  );

  it.each(['(', 'a(?=b)', '(?<!x)y', '(a)\\1', '(?<name>a)', '[z-a]'])('refuses %s', (p) => {
    expect(goRegexpProblem(p)).toEqual(expect.any(String));
  });
});
