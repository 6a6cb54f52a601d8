import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '@wlm/commons/net';
import { stringify as toYaml } from 'yaml';
import { ensureBuilt } from '../../../workers/test/support/ensure-built';
import { CliProcess } from '../support/cli-process';
import { SerfAgent, eventually } from '@wlm/test-support';
import { TlsServers } from '../support/tls/tls-servers';

/*
 * TLS to every server, configured only through the config file: a RabbitMQ, a MariaDB and a Neo4j of
 * this file's own that speak nothing but TLS, with a throwaway CA. `wlm orchestrator`, `wlm scheduler`
 * and `wlm worker` run an experiment through them; with another CA each refuses the server at once,
 * naming it and the setting to fix, without a stack trace.
 */

jest.setTimeout(300_000);

const TOKEN = 'tls-e2e-token-0123456789';
const START_TIMEOUT_MS = 60_000;

let servers: TlsServers;
let seed: SerfAgent;
const namespace = `tls${randomBytes(4).toString('hex')}`;
const processes: CliProcess[] = [];

interface CaFiles {
  rabbitmq: string;
  mysql: string;
  neo4j: string;
}

/** The one config file of a service: every server over TLS, each checked against its CA file. */
function writeConfig(name: string, ca: CaFiles, apiPort: number): string {
  const file = join(servers.dir, `${name}.yaml`);
  writeFileSync(
    file,
    toYaml({
      rabbitmq: { url: servers.rabbitmqUrl, caFile: ca.rabbitmq },
      mysql: { url: servers.mysqlUrl('wlm_tls', ca.mysql) },
      neo4j: { url: servers.neo4jUrl, caFile: ca.neo4j, ...servers.neo4jLogin },
      http: { host: '127.0.0.1', port: apiPort },
      api: { tokens: [TOKEN] },
      serf: { rpcAddr: seed.rpcAddr, bindAddr: seed.bindAddr },
      metrics: { schedulerPort: 0, workerPort: 0 },
      log: { level: 'info' },
    }),
  );
  return file;
}

/** `wlm <args>` reading its settings from `config` alone. */
function wlm(label: string, args: readonly string[], config: string): CliProcess {
  const child = new CliProcess(label, args, { WLM_CONFIG: config });
  processes.push(child);
  return child;
}

async function api<T>(port: number, path: string, body?: unknown, method?: string): Promise<T> {
  const verb = method ?? (body === undefined ? 'GET' : 'POST');
  const response = await fetch(`http://127.0.0.1:${port}${path}`, {
    method: verb,
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const parsed = (await response.json()) as T;
  if (!response.ok) throw new Error(`${verb} ${path}: ${response.status} ${JSON.stringify(parsed)}`);
  return parsed;
}

beforeAll(async () => {
  // The services must find every server setting in their config file: none may come from here.
  const inherited = Object.keys(process.env).filter((key) => /^WLM_(CONFIG|RABBITMQ|MYSQL|NEO4J)/.test(key));
  if (inherited.length > 0) throw new Error(`unset ${inherited.join(', ')} to run this test`);
  ensureBuilt(['scripts']);
  servers = await TlsServers.start();
  seed = await SerfAgent.start({ name: `${namespace}-seed` });
});

afterAll(async () => {
  await Promise.allSettled(processes.map((child) => child.stop()));
  await seed?.stop();
  await servers?.stop();
});

it('runs an experiment through RabbitMQ, MariaDB and Neo4j over TLS, configured by the config file', async () => {
  const { ca } = servers.certificates;
  const port = await freePort('127.0.0.1', false);
  const config = writeConfig('right-ca', { rabbitmq: ca, mysql: ca, neo4j: ca }, port);
  const orchestrator = wlm('orchestrator', ['orchestrator', '--namespace', namespace], config);
  const scheduler = wlm('scheduler', ['scheduler', '--namespace', namespace], config);
  await orchestrator.waitFor(
    'its API',
    (p) => p.stderr.includes('wlm orchestrator: API on'),
    START_TIMEOUT_MS,
  );
  await scheduler.waitFor('running', (p) => p.logged('scheduler running').length > 0, START_TIMEOUT_MS);
  const workerId = `${namespace}-w1`;
  const worker = wlm(
    'worker',
    [
      'worker',
      '--name',
      workerId,
      '--tasks',
      'echo',
      '--slots',
      '2',
      '--namespace',
      namespace,
      '--drain-timeout',
      '1',
    ],
    config,
  );
  await scheduler.waitFor(
    `worker ${workerId} joined`,
    (p) => p.logs.some((record) => record.workerId === workerId && record.msg === 'worker joined'),
    START_TIMEOUT_MS,
  );
  const type = `${namespace}-pair`;
  await api(
    port,
    `/api/dags/${type}`,
    {
      type,
      tasks: [
        { id: 'first', type: 'echo', params: { note: 'over TLS' } },
        { id: 'second', type: 'echo', after: ['first'], params: { sleepMs: 10 } },
      ],
    },
    'PUT',
  );
  const { id } = await api<{ id: string }>(port, '/api/experiments', { type, inputs: {}, priority: 5 });
  const view = await eventually(
    `experiment ${id} to end`,
    () => api<{ state: string; tasks: { taskId: string; state: string }[] }>(port, `/api/experiments/${id}`),
    (current) => ['COMPLETED', 'FAILED', 'CANCELLED'].includes(current.state),
    60_000,
  );
  expect(view.state).toBe('COMPLETED');
  expect(view.tasks.map((task) => [task.taskId, task.state])).toEqual([
    ['first', 'COMPLETED'],
    ['second', 'COMPLETED'],
  ]);
  expect(worker.running).toBe(true);
  await Promise.all([worker.stop(), scheduler.stop(), orchestrator.stop()]);
});

describe('a server whose certificate another CA signed', () => {
  const stackTrace = /\n\s+at \S/;

  async function refusal(label: string, args: readonly string[], ca: CaFiles): Promise<string> {
    const child = wlm(label, args, writeConfig(label, ca, await freePort('127.0.0.1', false)));
    const exit = await child.exited;
    expect(exit.code).toBe(1);
    expect(child.stderr).not.toMatch(stackTrace);
    return child.stderr;
  }

  const mysqlRefused =
    /wlm: TLS to MySQL at 127\.0\.0\.1:\d+ failed: .*certificate.*; set ssl-ca of mysql\.url/;
  const neo4jRefused = /wlm: TLS to Neo4j at 127\.0\.0\.1:\d+ failed: .*certificate.*; set neo4j\.caFile/;

  it.each([
    ['orchestrator', 'MySQL', 'mysql', mysqlRefused],
    ['scheduler', 'MySQL', 'mysql', mysqlRefused],
    ['orchestrator', 'Neo4j', 'neo4j', neo4jRefused],
  ] as const)(
    'is refused by the %s (%s), naming the server and the setting',
    async (service, _server, store, message) => {
      const { ca, wrongCa } = servers.certificates;
      const cas: CaFiles = { rabbitmq: ca, mysql: ca, neo4j: ca, [store]: wrongCa };
      const stderr = await refusal(`${service}-wrong-${store}-ca`, [service, '--namespace', namespace], cas);
      expect(stderr).toMatch(message);
    },
  );

  it('is refused by the RabbitMQ client, naming RabbitMQ and rabbitmq.caFile', async () => {
    const { ca, wrongCa } = servers.certificates;
    const stderr = await refusal(
      'worker-wrong-rabbitmq-ca',
      ['worker', '--name', `${namespace}-w2`, '--tasks', 'echo', '--slots', '1', '--namespace', namespace],
      { rabbitmq: wrongCa, mysql: ca, neo4j: ca },
    );
    expect(stderr).toMatch(
      /wlm: TLS to RabbitMQ at 127\.0\.0\.1:\d+ failed: .*certificate.*; set rabbitmq\.caFile/,
    );
    // A refused certificate is final: the client reports it after one attempt, without retrying.
    expect(stderr.match(/AMQP connection attempt failed/g)).toHaveLength(1);
    expect(stderr).not.toMatch(/reconnecting to RabbitMQ/);
  });
});
