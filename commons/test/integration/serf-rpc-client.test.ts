import { setTimeout as sleep } from 'node:timers/promises';
import { SerfRpcError, SerfUnavailableError } from '@wlm/commons/errors';
import { SerfRpcClient } from '@wlm/commons/serf';
import type { SerfEventStream, SerfMember, SerfStreamEvent } from '@wlm/commons/serf';
import { SerfAgents, eventually } from '@wlm/test-support';
import type { SerfAgent } from '@wlm/test-support';

/*
 * SerfRpcClient against three real `serf agent` processes spawned here on free 127.0.0.1 ports.
 * The tests run in order and share the cluster: each step builds on the state the previous left.
 * Node names carry the pid so parallel runs never gossip with each other.
 */

jest.setTimeout(60_000);

const prefix = `wlm-serf-it-${process.pid}`;
const agents = new SerfAgents();
/** The client under test meets agents without keys, but for the one that demands an RPC key. */
const NO_KEYS = {};
const clients: SerfRpcClient[] = [];
let a: SerfAgent;
let b: SerfAgent;
let c: SerfAgent;
let clientA: SerfRpcClient;
let clientB: SerfRpcClient;
let streamA: SerfEventStream;

async function connect(addr: string, authKey?: string): Promise<SerfRpcClient> {
  const client = await SerfRpcClient.connect({
    addr,
    ...(authKey === undefined ? {} : { authKey }),
    reconnect: { initialDelayMs: 100, maxDelayMs: 1_000 },
  });
  clients.push(client);
  return client;
}

/** Resolves with the first event on `stream` that satisfies `match`; listens from the call on. */
function nextEvent<T extends SerfStreamEvent>(
  stream: SerfEventStream,
  match: (event: SerfStreamEvent) => event is T,
  timeoutMs: number,
  what: string,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      stream.off('event', listener);
      reject(new Error(`no ${what} within ${timeoutMs} ms`));
    }, timeoutMs);
    const listener = (event: SerfStreamEvent) => {
      if (!match(event)) return;
      clearTimeout(timer);
      stream.off('event', listener);
      resolve(event);
    };
    stream.on('event', listener);
  });
}

const memberEventFor =
  (type: SerfStreamEvent['type'], name: string, extra: (m: SerfMember) => boolean = () => true) =>
  (event: SerfStreamEvent): event is Extract<SerfStreamEvent, { members: SerfMember[] }> =>
    event.type === type && 'members' in event && event.members.some((m) => m.name === name && extra(m));

const userEventNamed =
  (name: string) =>
  (event: SerfStreamEvent): event is Extract<SerfStreamEvent, { type: 'user' }> =>
    event.type === 'user' && event.name === name;

beforeAll(async () => {
  const start = (n: string) =>
    agents.start({ name: `${prefix}-${n}`, tags: { role: `it-${n}` }, keys: NO_KEYS });
  [a, b, c] = await Promise.all([start('a'), start('b'), start('c')]);
});

afterAll(async () => {
  await Promise.all(clients.map((client) => client.close()));
  await agents.stopAll();
});

describe('SerfRpcClient with real serf agents', () => {
  it('handshakes with an agent and reads its stats', async () => {
    clientA = await connect(a.rpcAddr);
    clientB = await connect(b.rpcAddr);
    expect(clientA.state).toBe('connected');
    const stats = await clientA.stats();
    expect(stats['agent']?.['name']).toBe(a.name);
    expect(stats['tags']).toEqual({ role: 'it-a' });
  });

  it('joins the three agents and lists all of them from A', async () => {
    streamA = await clientA.stream('*');
    await expect(clientA.join([b.bindAddr, c.bindAddr])).resolves.toBe(2);
    const members = await eventually(
      'three alive members',
      () => clientA.members(),
      (ms) => ms.filter((m) => m.status === 'alive').length === 3,
      10_000,
    );
    expect(members.map((m) => [m.name, m.addr, m.port]).sort()).toEqual(
      [a, b, c].map((x) => [x.name, '127.0.0.1', x.bindPort]).sort(),
    );
    const onlyB = await clientA.membersFiltered({ name: `${prefix}-b`, status: 'alive' });
    expect(onlyB.map((m) => m.name)).toEqual([b.name]);
    const byTag = await clientA.membersFiltered({ tags: { role: 'it-(b|c)' } });
    expect(byTag.map((m) => m.name).sort()).toEqual([b.name, c.name]);
  });

  it('sees tags set on B from A, and A’s stream reports member-update for B', async () => {
    const started = Date.now();
    const update = nextEvent(
      streamA,
      memberEventFor('member-update', b.name, (m) => m.tags['slots'] === '4'),
      15_000,
      'member-update for B',
    );
    await clientB.tags({ set: { slots: '4', tasks: 'echo' }, delete: ['role'] });
    const acked = Date.now() - started;
    const seen = await eventually(
      "b's slots tag of 4",
      () => clientA.membersFiltered({ name: b.name }),
      (ms) => ms[0]?.tags['slots'] === '4',
      10_000,
    );
    const inMembers = Date.now() - started;
    expect(seen[0]?.tags).toEqual({ slots: '4', tasks: 'echo' });
    const event = await update;
    console.info(
      `tags ack ${acked} ms; visible on A ${inMembers} ms; member-update ${Date.now() - started} ms`,
    );
    expect(event.members.find((m) => m.name === b.name)?.tags).toEqual({ slots: '4', tasks: 'echo' });
  });

  it('refuses tags beyond Serf’s 512-byte limit with a typed error', async () => {
    const refused = clientB.tags({ set: { big: 'x'.repeat(600) } });
    await expect(refused).rejects.toBeInstanceOf(SerfRpcError);
    await expect(refused).rejects.toMatchObject({ kind: 'tags-too-large', code: 'SERF_RPC_ERROR' });
  });

  it('delivers a user event fired on B to A’s streams', async () => {
    const named = await clientA.stream('user:wlm-it-deploy');
    const started = Date.now();
    const onAll = nextEvent(streamA, userEventNamed('wlm-it-deploy'), 10_000, 'user event');
    const onNamed = nextEvent(named, userEventNamed('wlm-it-deploy'), 10_000, 'user event (named stream)');
    await clientB.event('wlm-it-deploy', 'v42', { coalesce: false });
    const event = await onAll;
    console.info(`user event delivered in ${Date.now() - started} ms`);
    expect(new TextDecoder().decode(event.payload)).toBe('v42');
    expect(event.coalesce).toBe(false);
    await expect(onNamed).resolves.toMatchObject({ name: 'wlm-it-deploy' });
    await named.stop();
    expect(named.isEnded).toBe(true);
  });

  it('sends a query that the nodes it names acknowledge, and only they', async () => {
    const both = await clientA.query('wlm-it-ping', { nodes: [b.name, c.name], timeoutMs: 1_000 });
    expect([...both.acks].sort()).toEqual([b.name, c.name].sort());
    const onlyB = await clientA.query('wlm-it-ping', { nodes: [b.name], timeoutMs: 500 });
    expect([...onlyB.acks]).toEqual([b.name]);
    // The answer streams ended cleanly: the connection still reads plain answers in step.
    expect((await clientA.members()).map((m) => m.name).sort()).toEqual([a.name, b.name, c.name].sort());
  });

  it('fails a query still waiting for its end as soon as its client closes', async () => {
    const closing = await connect(a.rpcAddr);
    // B acks at once, but the agent sends the query's end only at its timeout, two minutes on.
    const waiting = closing.query('wlm-it-ping', { nodes: [b.name], timeoutMs: 120_000 });
    const failure = waiting.then(
      () => undefined,
      (error: unknown) => error,
    );
    // Long enough for the agent to take the query: it is then open, no longer a request in flight.
    await sleep(1_000);
    await closing.close();
    const error = await failure;
    expect(error).toBeInstanceOf(SerfUnavailableError);
    expect((error as SerfUnavailableError).closed).toBe(true);
  });

  it('reports member-failed for a SIGKILLed agent C on A’s stream', async () => {
    const failed = nextEvent(streamA, memberEventFor('member-failed', c.name), 15_000, 'member-failed for C');
    const killedAt = Date.now();
    await c.kill('SIGKILL');
    // A dead agent acknowledges nothing, long before Serf's suspicion of it runs out. A query travels
    // by gossip (UDP), and on a loaded host B's ack may miss one 500 ms window: ask up to three times.
    const acked = new Set<string>();
    for (let round = 0; round < 3 && !acked.has(b.name); round += 1) {
      const afterKill = await clientA.query('wlm-it-ping', { nodes: [b.name, c.name], timeoutMs: 500 });
      for (const name of afterKill.acks) acked.add(name);
    }
    expect([...acked]).toEqual([b.name]);
    const inMembers = await eventually(
      'c to be failed',
      () => clientA.membersFiltered({ name: c.name }),
      (ms) => ms[0]?.status === 'failed',
      15_000,
    );
    const membersMs = Date.now() - killedAt;
    const event = await failed;
    console.info(
      `failure detection: members ${membersMs} ms; stream member-failed ${Date.now() - killedAt} ms`,
    );
    expect(inMembers[0]?.status).toBe('failed');
    expect(event.members.find((m) => m.name === c.name)?.status).toBe('failed');

    await clientA.forceLeave(c.name);
    await eventually(
      'c to be left',
      () => clientA.membersFiltered({ name: c.name }),
      (ms) => ms[0]?.status === 'left',
      10_000,
    );
  });

  it('reconnects to A restarted on the same port, and the stream resumes', async () => {
    const disconnected = new Promise<SerfUnavailableError>((resolve) =>
      clientA.once('disconnected', resolve),
    );
    const reconnected = new Promise<void>((resolve) => clientA.once('reconnected', resolve));
    await a.kill('SIGKILL');
    await expect(disconnected).resolves.toBeInstanceOf(SerfUnavailableError);
    await expect(clientA.members()).rejects.toMatchObject({ code: 'SERF_UNAVAILABLE', retryable: true });
    const restartedAt = Date.now();
    a = await agents.start({
      name: a.name,
      bindPort: a.bindPort,
      rpcPort: a.rpcPort,
      join: [b.bindAddr],
      keys: NO_KEYS,
    });
    await reconnected;
    console.info(`reconnected ${Date.now() - restartedAt} ms after the restart`);
    expect(clientA.state).toBe('connected');
    expect(streamA.isEnded).toBe(false);

    // B gossips only to members it sees alive: the restarted A may first have to refute the
    // failure B saw while it was down.
    for (const client of [clientA, clientB]) {
      await eventually(
        'two alive members',
        () => client.membersFiltered({ status: 'alive' }),
        (ms) => ms.length === 2,
        15_000,
      );
    }
    // A user event is gossiped a few times to a few members, dead ones included (C was killed a
    // moment ago), so one event may never reach A. What is tested is that A's stream delivers again:
    // B sends a fresh event until one arrives.
    let resumed: SerfStreamEvent | undefined;
    for (let sent = 1; resumed === undefined && sent <= 3; sent += 1) {
      const next = nextEvent(
        streamA,
        userEventNamed('wlm-it-after-restart'),
        5_000,
        'user event after reconnect',
      );
      await clientB.event('wlm-it-after-restart', '', { coalesce: false });
      resumed = await next.catch(() => undefined);
    }
    expect(resumed).toMatchObject({ payload: new Uint8Array(0) });
  });

  describe('with an RPC auth key', () => {
    let d: SerfAgent;
    beforeAll(async () => {
      d = await agents.start({ name: `${prefix}-d`, keys: { rpcAuthKey: 'wlm-it-key' } });
    });

    it('rejects a wrong key at connect', async () => {
      const failure = SerfRpcClient.connect({ addr: d.rpcAddr, authKey: 'wrong' });
      await expect(failure).rejects.toBeInstanceOf(SerfRpcError);
      await expect(failure).rejects.toMatchObject({ code: 'SERF_AUTH_FAILED', kind: 'invalid-auth-token' });
    });

    it('refuses requests without a key, with a typed error, and stays usable', async () => {
      const client = await connect(d.rpcAddr);
      await expect(client.tags({ set: { x: '1' } })).rejects.toMatchObject({ kind: 'auth-required' });
      await expect(client.members()).rejects.toMatchObject({
        code: 'SERF_AUTH_FAILED',
        kind: 'auth-required',
      });
      expect(client.state).toBe('connected');
    });

    it('accepts the right key, and leave() shuts the agent down and closes the client', async () => {
      const client = await connect(d.rpcAddr, 'wlm-it-key');
      await expect(client.members()).resolves.toEqual([
        expect.objectContaining({ name: d.name, status: 'alive' }),
      ]);
      await client.leave();
      expect(client.state).toBe('closed');
      await d.exited;
    });
  });
});
