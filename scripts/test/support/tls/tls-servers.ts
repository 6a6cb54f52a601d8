import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@wlm/commons/net';
import { makeTestCertificates } from './certificates';
import type { TestCertificates } from './certificates';
import type { ServerProcess } from './server-process';
import { TLS_DB_PASSWORD, TLS_DB_USER, startTlsMariadb } from './tls-mariadb';
import { TLS_GRAPH_PASSWORD, startTlsNeo4j } from './tls-neo4j';
import { TLS_MQ_PASSWORD, TLS_MQ_USER, startTlsRabbitmq } from './tls-rabbitmq';

/**
 * One test file's RabbitMQ, MariaDB and Neo4j that speak TLS only, on free 127.0.0.1 ports, with
 * a throwaway CA, all under one temporary directory. `stop` stops them and removes it; the stack's
 * servers are never touched.
 */
export class TlsServers {
  private constructor(
    readonly dir: string,
    readonly certificates: TestCertificates,
    private readonly servers: readonly ServerProcess[],
    private readonly ports: { amqps: number; mysql: number; bolt: number },
  ) {}

  static async start(): Promise<TlsServers> {
    const dir = mkdtempSync(join(tmpdir(), 'wlm-tls-'));
    try {
      const certificates = makeTestCertificates(dir);
      const [amqps, distribution, mysql, bolt] = [
        await freePort('127.0.0.1', false),
        await freePort('127.0.0.1', false),
        await freePort('127.0.0.1', false),
        await freePort('127.0.0.1', false),
      ] as [number, number, number, number];
      const started = await Promise.allSettled([
        startTlsMariadb(join(dir, 'mariadb'), mysql, certificates),
        startTlsRabbitmq(join(dir, 'rabbitmq'), { amqps, distribution }, certificates),
        startTlsNeo4j(join(dir, 'neo4j'), bolt, certificates),
      ]);
      const servers = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
      const failures = started.flatMap((result) =>
        result.status === 'rejected' ? [result.reason as Error] : [],
      );
      if (failures.length > 0) {
        await Promise.allSettled(servers.map((server) => server.stop()));
        throw new Error(`TLS servers did not start:\n${failures.map((error) => error.message).join('\n')}`);
      }
      return new TlsServers(dir, certificates, servers, { amqps, mysql, bolt });
    } catch (error) {
      rmSync(dir, { recursive: true, force: true });
      throw error;
    }
  }

  get rabbitmqUrl(): string {
    return `amqps://${TLS_MQ_USER}:${TLS_MQ_PASSWORD}@127.0.0.1:${this.ports.amqps}`;
  }

  /** `mysql.url` of `database`, the certificate and host name checked against `caFile`. */
  mysqlUrl(database: string, caFile: string): string {
    return (
      `mysql://${TLS_DB_USER}:${TLS_DB_PASSWORD}@127.0.0.1:${this.ports.mysql}/${database}` +
      `?ssl-mode=VERIFY_IDENTITY&ssl-ca=${encodeURIComponent(caFile)}`
    );
  }

  get neo4jUrl(): string {
    return `bolt+s://127.0.0.1:${this.ports.bolt}`;
  }

  readonly neo4jLogin = { user: 'neo4j', password: TLS_GRAPH_PASSWORD } as const;

  async stop(): Promise<void> {
    await Promise.allSettled(this.servers.map((server) => server.stop()));
    rmSync(this.dir, { recursive: true, force: true });
  }
}
