import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { loadConfig } from '@wlm/commons/config';
import { COMPONENT_NAMES, deleteMails, listMails, stackPaths, stackStatus } from '@wlm/scripts';
import type { StoredMail } from '@wlm/scripts';
import { createConnection } from 'mysql2/promise';
import neo4j from 'neo4j-driver';
import nodemailer from 'nodemailer';

// Runs against the stack the integration project's globalSetup (test/support/ensure-stack.js) brought up.
// Jest ignores `testTimeout` inside a project entry of jest.config.js, so it is set here.
jest.setTimeout(60_000);

const config = loadConfig();
const paths = stackPaths(config);
const cli = join(__dirname, '..', '..', 'dist', 'cli.js');

function wlm(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('wlm stack', () => {
  it('reports every component up, each with its address and version', async () => {
    const statuses = await stackStatus({ config });
    expect(statuses.map((s) => s.name)).toEqual([...COMPONENT_NAMES]);
    for (const status of statuses) {
      expect({ name: status.name, state: status.state }).toEqual({ name: status.name, state: 'up' });
      expect(status.address).toMatch(/^127\.0\.0\.1:\d+$/);
      expect(status.version).toEqual(expect.stringMatching(/\d/));
    }
  });

  it('prints the same through `wlm stack status --json` and exits 0', () => {
    const { status, stdout } = wlm('stack', 'status', '--json');
    expect(status).toBe(0);
    const parsed = JSON.parse(stdout) as { name: string; state: string; address: string; version: string }[];
    expect(parsed.map((s) => [s.name, s.state])).toEqual(COMPONENT_NAMES.map((name) => [name, 'up']));
  });

  describe('SMTP sink', () => {
    const created: string[] = [];
    afterAll(() => deleteMails(paths.mailDir, created));

    it('stores a mail sent to it, and `wlm stack mails --json` lists it', async () => {
      const subject = `stack test ${randomBytes(6).toString('hex')}`;
      const transport = nodemailer.createTransport({
        host: config.smtp.host,
        port: config.smtp.port,
        secure: false,
        ignoreTLS: true,
      });
      await transport.sendMail({
        from: 'wlm-test@localhost',
        to: ['admin@localhost', 'ops@localhost'],
        subject,
        text: 'worker w1 failed',
      });
      transport.close();

      let mail: StoredMail | undefined;
      for (let attempt = 0; attempt < 50 && mail === undefined; attempt += 1) {
        mail = listMails(paths.mailDir).find((m) => m.subject === subject);
        if (mail === undefined) await delay(100);
      }
      if (mail !== undefined) created.push(mail.id);

      const { status, stdout } = wlm('stack', 'mails', '--json');
      expect(status).toBe(0);
      const listed = (JSON.parse(stdout) as StoredMail[]).find((m) => m.subject === subject);
      expect(listed).toMatchObject({
        from: 'wlm-test@localhost',
        to: ['admin@localhost', 'ops@localhost'],
        subject,
      });
      expect(listed?.text.trim()).toBe('worker w1 failed');
      expect(Number.isNaN(Date.parse(listed?.date ?? ''))).toBe(false);
    });
  });

  it('lets the generated key log in over SSH, with the host key pinned', () => {
    const result = spawnSync(
      'ssh',
      [
        ...['-i', paths.ssh.clientKey, '-p', String(config.ssh.port)],
        ...['-o', 'StrictHostKeyChecking=yes', '-o', `UserKnownHostsFile=${paths.ssh.knownHosts}`],
        ...['-o', 'BatchMode=yes', '-o', 'IdentitiesOnly=yes', '-o', 'ConnectTimeout=10'],
        `${userInfo().username}@${config.ssh.host}`,
        'echo ok',
      ],
      { encoding: 'utf8', timeout: 30_000 },
    );
    expect({ status: result.status, stdout: result.stdout, stderr: result.stderr }).toMatchObject({
      status: 0,
      stdout: 'ok\n',
    });
  });

  it('serves Cypher on Neo4j with the configured password', async () => {
    const driver = neo4j.driver(config.neo4j.url, neo4j.auth.basic(config.neo4j.user, config.neo4j.password));
    try {
      const { records } = await driver.executeQuery('RETURN 40 + 2 AS answer');
      expect(records[0]?.get('answer')).toEqual(neo4j.int(42));
    } finally {
      await driver.close();
    }
  });

  it('has the wlm database on MariaDB', async () => {
    const url = new URL(config.mysql.url);
    const database = url.pathname.slice(1);
    const connection = await createConnection({
      host: url.hostname,
      port: Number(url.port || 3306),
      user: decodeURIComponent(url.username),
      password: decodeURIComponent(url.password),
    });
    try {
      const [rows] = await connection.query('SHOW DATABASES LIKE ?', [database]);
      expect(rows).toHaveLength(1);
    } finally {
      await connection.end();
    }
  });
});
