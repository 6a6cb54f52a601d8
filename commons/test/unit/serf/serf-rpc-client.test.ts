import { SerfRpcError, SerfUnavailableError } from '../../../src/errors';
import { SerfRpcClient } from '../../../src/serf/serf-rpc-client';
import type { SerfCommand } from '../../../src/serf/serf-protocol';
import type { SerfStreamEvent } from '../../../src/serf/serf-events';
import { HANDSHAKE_ACK_SEQ1, MEMBERS_SEQ2, STREAM_SEQ2, hex } from './captured-serf-bytes';
import { FakeSerfAgent, ackSession } from './fake-serf-agent';
import type { FakeClient, FakeRequest } from './fake-serf-agent';

/*
 * The client against an in-process fake agent, for protocol situations a real agent cannot be made
 * to produce on cue. The real agent is exercised in test/integration/serf-rpc-client.test.ts.
 */

const member = (name: string) => ({
  Name: name,
  Addr: Uint8Array.from([10, 0, 0, 1]),
  Port: 7946,
  Tags: null,
  Status: 'alive',
  ProtocolMin: 1,
  ProtocolMax: 5,
  ProtocolCur: 2,
  DelegateMin: 2,
  DelegateMax: 5,
  DelegateCur: 4,
});

type Handler = (request: FakeRequest, client: FakeClient) => void;

describe('SerfRpcClient against a fake agent', () => {
  let agent: FakeSerfAgent;
  let handler: Handler;
  let addr: string;
  const clients: SerfRpcClient[] = [];

  async function connect(
    options: Partial<Parameters<typeof SerfRpcClient.connect>[0]> = {},
  ): Promise<SerfRpcClient> {
    const client = await SerfRpcClient.connect({
      addr,
      reconnect: { initialDelayMs: 10, maxDelayMs: 50 },
      ...options,
    });
    clients.push(client);
    return client;
  }

  beforeEach(async () => {
    handler = (request, client) => void ackSession(request, client);
    agent = new FakeSerfAgent((request, client) => handler(request, client));
    addr = `127.0.0.1:${await agent.listen()}`;
  });

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await agent.close();
  });

  it('reads a members answer captured from a real agent', async () => {
    handler = (request, client) => {
      if (request.command === 'handshake') client.write(hex(HANDSHAKE_ACK_SEQ1));
      if (request.command === 'members') client.write(hex(MEMBERS_SEQ2));
    };
    const serf = await connect();
    await expect(serf.members()).resolves.toEqual([
      expect.objectContaining({ name: 'probe-a', addr: '127.0.0.1', port: 17946, tags: { role: 'x' } }),
    ]);
  });

  it('matches pipelined answers to their requests by Seq, whatever their order', async () => {
    const held: FakeRequest[] = [];
    handler = (request, client) => {
      if (ackSession(request, client)) return;
      held.push(request);
      if (held.length < 2) return;
      // Answer the second request first.
      for (const r of [...held].reverse()) {
        client.send({ Seq: r.seq, Error: '' }, { Members: [member(r.command === 'members' ? 'm' : 'f')] });
      }
    };
    const serf = await connect();
    const [all, filtered] = await Promise.all([serf.members(), serf.membersFiltered({ name: 'f.*' })]);
    expect(all.map((m) => m.name)).toEqual(['m']);
    expect(filtered.map((m) => m.name)).toEqual(['f']);
    expect(agent.requests.find((r) => r.command === 'members-filtered')?.body).toEqual({
      Tags: {},
      Status: '',
      Name: 'f.*',
    });
  });

  it.each([
    ['without a body (serf 0.8)', false],
    ['with an {Exists} body (later agents)', true],
  ])('reads a force-leave answer %s and stays in step', async (_label, withBody) => {
    handler = (request, client) => {
      if (ackSession(request, client)) return;
      if (request.command === 'force-leave') {
        client.send({ Seq: request.seq, Error: '' }, ...(withBody ? [{ Exists: true }] : []));
      }
      if (request.command === 'members')
        client.send({ Seq: request.seq, Error: '' }, { Members: [member('x')] });
    };
    const serf = await connect();
    await serf.forceLeave('gone');
    await expect(serf.members()).resolves.toHaveLength(1);
  });

  it('reads a failed join as error header plus body, as the agent sends it', async () => {
    handler = (request, client) => {
      if (ackSession(request, client)) return;
      if (request.command === 'join') client.send({ Seq: request.seq, Error: 'Failed to join' }, { Num: 0 });
      if (request.command === 'members') client.send({ Seq: request.seq, Error: '' }, { Members: [] });
    };
    const serf = await connect();
    const failure = serf.join(['127.0.0.1:1']);
    await expect(failure).rejects.toBeInstanceOf(SerfRpcError);
    await expect(failure).rejects.toMatchObject({ kind: 'agent-error', retryable: true });
    await expect(serf.members()).resolves.toEqual([]);
  });

  it('survives the duplicate body-less "Authentication required" an agent sends without a key', async () => {
    handler = (request, client) => {
      if (request.command === 'handshake') return void client.send({ Seq: request.seq, Error: '' });
      // What ipc.go does: refuse, then read the request body as the next header and refuse again.
      client.send({ Seq: request.seq, Error: 'Authentication required' });
      if (request.body !== undefined) client.send({ Seq: request.seq, Error: 'Authentication required' });
    };
    const serf = await connect();
    const tags = serf.tags({ set: { a: '1' } });
    await expect(tags).rejects.toMatchObject({ code: 'SERF_AUTH_FAILED', kind: 'auth-required' });
    await expect(serf.members()).rejects.toMatchObject({ code: 'SERF_AUTH_FAILED' });
    expect(serf.state).toBe('connected');
  });

  it('fails pending requests when the connection drops, then reconnects by itself', async () => {
    let drop = true;
    handler = (request, client) => {
      if (ackSession(request, client)) return;
      if (drop) return void client.destroy();
      client.send({ Seq: request.seq, Error: '' }, { Members: [] });
    };
    const serf = await connect();
    const disconnected = new Promise((resolve) => serf.once('disconnected', resolve));
    const reconnected = new Promise<void>((resolve) => serf.once('reconnected', resolve));
    const pending = serf.members();
    await expect(pending).rejects.toBeInstanceOf(SerfUnavailableError);
    await expect(pending).rejects.toMatchObject({ code: 'SERF_UNAVAILABLE', retryable: true });
    await disconnected;
    drop = false;
    await reconnected;
    expect(serf.state).toBe('connected');
    await expect(serf.members()).resolves.toEqual([]);
    expect(agent.requests.filter((r) => r.command === 'handshake')).toHaveLength(2);
  });

  it('times a request out, and still consumes its late answer', async () => {
    let first = true;
    handler = (request, client) => {
      if (ackSession(request, client)) return;
      const answer = () =>
        client.send({ Seq: request.seq, Error: '' }, { Members: [member(String(request.seq))] });
      if (first) {
        first = false;
        setTimeout(answer, 150);
      } else {
        answer();
      }
    };
    const serf = await connect({ requestTimeoutMs: 50 });
    await expect(serf.members()).rejects.toMatchObject({ code: 'SERF_UNAVAILABLE', retryable: true });
    await new Promise((resolve) => setTimeout(resolve, 200));
    // Seq 2 timed out; its late body must not be taken for the answer to Seq 3.
    await expect(serf.members()).resolves.toEqual([expect.objectContaining({ name: '3' })]);
  });

  it('delivers stream records captured from a real agent, even split into single bytes', async () => {
    handler = (request, client) => {
      if (request.command === 'handshake') client.write(hex(HANDSHAKE_ACK_SEQ1));
      if (request.command === 'stream') {
        const bytes = hex(STREAM_SEQ2);
        bytes.forEach((_b, i) => setTimeout(() => client.write(bytes.subarray(i, i + 1)), 0));
      }
    };
    const serf = await connect();
    const stream = await serf.stream();
    const failed = new Promise((resolve) => stream.once('member-failed', resolve));
    const seen: SerfStreamEvent[] = [];
    for await (const event of stream) {
      seen.push(event);
      if (seen.length === 3) break;
    }
    expect(seen.map((e) => e.type)).toEqual(['user', 'member-failed', 'member-update']);
    await expect(failed).resolves.toMatchObject({ members: [{ name: 'probe-c', status: 'failed' }] });
    expect(agent.requests.find((r) => r.command === 'stream')?.body).toEqual({
      Type: 'member-join,member-leave,member-failed,member-update,member-reap,user',
    });
  });

  it('counts the acks and responses of named nodes only, not the nameless ones an agent sends at the deadline', async () => {
    handler = (request, client) => {
      if (ackSession(request, client)) return;
      if (request.command === 'query') {
        const header = { Seq: request.seq, Error: '' };
        client.send(
          header,
          header,
          { Type: 'ack', From: 'node-b', Payload: null },
          header,
          { Type: 'response', From: 'node-b', Payload: Uint8Array.from([1]) },
          header,
          { Type: 'ack', From: '', Payload: null },
          header,
          { Type: 'response', From: '', Payload: null },
          header,
          { Type: 'done', From: '', Payload: null },
        );
      }
    };
    const serf = await connect();
    const result = await serf.query('ping', { nodes: ['node-b', 'node-c'], timeoutMs: 100 });
    expect([...result.acks]).toEqual(['node-b']);
    expect([...result.responses.keys()]).toEqual(['node-b']);
  });

  it('drops records still in flight after stop, and stays in step', async () => {
    let streamSeq = 0;
    const userEvent = (lTime: number) => ({
      Event: 'user',
      LTime: lTime,
      Name: 'e',
      Payload: null,
      Coalesce: false,
    });
    handler = (request, client) => {
      if (ackSession(request, client)) return;
      if (request.command === 'stream') {
        streamSeq = request.seq;
        client.send({ Seq: streamSeq, Error: '' }, { Seq: streamSeq, Error: '' }, userEvent(1));
      }
      if (request.command === 'stop') {
        // The agent drains its event channel after acking stop: records can follow the ack.
        client.send({ Seq: request.seq, Error: '' }, { Seq: streamSeq, Error: '' }, userEvent(2));
      }
      if (request.command === 'members') client.send({ Seq: request.seq, Error: '' }, { Members: [] });
    };
    const serf = await connect();
    const stream = await serf.stream('user');
    const events: SerfStreamEvent[] = [];
    stream.on('event', (e) => events.push(e));
    await new Promise((resolve) => stream.once('user', resolve));
    const ended = new Promise<void>((resolve) => stream.once('end', resolve));
    await stream.stop();
    await ended;
    await expect(serf.members()).resolves.toEqual([]);
    expect(events).toEqual([expect.objectContaining({ lTime: 1 })]);
    expect(agent.requests.find((r) => r.command === 'stop')?.body).toEqual({ Stop: streamSeq });
  });

  it('re-subscribes streams after a reconnect', async () => {
    let connection = 0;
    handler = (request, client) => {
      if (request.command === 'handshake') connection += 1;
      if (ackSession(request, client)) return;
      if (request.command !== 'stream') return;
      client.send({ Seq: request.seq, Error: '' });
      const record = {
        Event: 'user',
        LTime: connection,
        Name: `from-${connection}`,
        Payload: null,
        Coalesce: false,
      };
      if (connection === 1) setTimeout(() => client.destroy(), 20);
      else client.send({ Seq: request.seq, Error: '' }, record);
    };
    const serf = await connect();
    const stream = await serf.stream('user');
    const reconnected = new Promise<void>((resolve) => serf.once('reconnected', resolve));
    const event = await new Promise((resolve) => stream.once('user', resolve));
    await reconnected;
    expect(event).toMatchObject({ name: 'from-2' });
    expect(agent.requests.filter((r) => r.command === 'stream')).toHaveLength(2);
  });

  it('gives up reconnecting on a permanent error such as a rejected key', async () => {
    let connections = 0;
    handler = (request, client) => {
      if (request.command === 'handshake') {
        connections += 1;
        client.send({ Seq: request.seq, Error: '' });
        if (connections === 1) setTimeout(() => client.destroy(), 20);
      }
      if (request.command === 'auth') {
        client.send({ Seq: request.seq, Error: connections === 1 ? '' : 'Invalid authentication token' });
      }
    };
    const serf = await connect({ authKey: 'k' });
    const stream = await serf.stream('user').catch(() => undefined);
    const failed = await new Promise((resolve) => serf.once('reconnect-failed', resolve));
    expect(failed).toMatchObject({ code: 'SERF_AUTH_FAILED', kind: 'invalid-auth-token' });
    expect(serf.state).toBe('closed');
    expect(stream?.isEnded ?? true).toBe(true);
    await expect(serf.members()).rejects.toMatchObject({ code: 'SERF_UNAVAILABLE', retryable: false });
  });

  it('refuses requests the agent would hang up on, without sending them', async () => {
    const serf = await connect();
    await expect(serf.membersFiltered({ tags: { tasks: '(' } })).rejects.toMatchObject({
      kind: 'invalid-request',
    });
    // Plain JavaScript can get past the types; the connection still refuses.
    const connection = (
      serf as unknown as { connection: { request(c: SerfCommand, b: unknown, t: number): Promise<unknown> } }
    ).connection;
    await expect(
      connection.request('monitor' as SerfCommand, { LogLevel: 'info' }, 1000),
    ).rejects.toMatchObject({
      kind: 'invalid-request',
    });
    expect(agent.requests.map((r) => r.command)).toEqual(['handshake']);
  });

  it('closes idempotently: pending requests fail for good and streams end', async () => {
    handler = (request, client) => {
      if (ackSession(request, client)) return;
      if (request.command === 'stream') client.send({ Seq: request.seq, Error: '' });
    };
    const serf = await connect();
    const stream = await serf.stream();
    const pending = serf.members();
    const first = serf.close();
    expect(serf.close()).toBe(first);
    await first;
    await expect(pending).rejects.toMatchObject({ code: 'SERF_UNAVAILABLE', retryable: false });
    expect(stream.isEnded).toBe(true);
    expect(serf.state).toBe('closed');
    await expect(serf.stats()).rejects.toMatchObject({ retryable: false });
  });

  it('reconnects after the agent sends data out of step with the protocol', async () => {
    let garble = true;
    handler = (request, client) => {
      if (ackSession(request, client)) return;
      if (garble) {
        garble = false;
        // A body where a header belongs: the client cannot know where messages start any more.
        return void client.send({ Members: [] });
      }
      client.send({ Seq: request.seq, Error: '' }, { Members: [] });
    };
    const serf = await connect();
    const reconnected = new Promise<void>((resolve) => serf.once('reconnected', resolve));
    await expect(serf.members()).rejects.toBeInstanceOf(SerfUnavailableError);
    await reconnected;
    await expect(serf.members()).resolves.toEqual([]);
  });

  it('rejects connect when nothing listens, with a retryable error', async () => {
    await agent.close();
    await expect(SerfRpcClient.connect({ addr })).rejects.toMatchObject({
      code: 'SERF_UNAVAILABLE',
      retryable: true,
    });
  });
});
