import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../../src/errors';
import { loadConfig, parseMysqlUrl, readPemFile } from '../../../src/config';

describe('TLS to the servers, from config', () => {
  it('accepts amqps and the TLS schemes of Neo4j', () => {
    const config = loadConfig({
      env: { WLM_RABBITMQ_URL: 'amqps://u:p@mq.example:5671', WLM_NEO4J_URL: 'neo4j+s://graph.example:7687' },
    });
    expect(config.rabbitmq.url).toBe('amqps://u:p@mq.example:5671');
    expect(config.neo4j.url).toBe('neo4j+s://graph.example:7687');
    for (const url of ['bolt+s://g:7687', 'bolt+ssc://g:7687', 'neo4j+ssc://g:7687']) {
      expect(loadConfig({ env: { WLM_NEO4J_URL: url } }).neo4j.url).toBe(url);
    }
    expect(() => loadConfig({ env: { WLM_NEO4J_URL: 'https://g:7474' } })).toThrow(ConfigError);
  });

  describe('CA files for RabbitMQ and Neo4j', () => {
    it('takes them beside the URLs whose certificate is checked', () => {
      const config = loadConfig({
        env: {
          WLM_RABBITMQ_URL: 'amqps://u:p@mq.example:5671',
          WLM_RABBITMQ_CA_FILE: '/etc/wlm/ca.pem',
          WLM_NEO4J_URL: 'bolt+s://graph.example:7687',
          WLM_NEO4J_CA_FILE: '/etc/wlm/ca.pem',
        },
      });
      expect(config.rabbitmq.caFile).toBe('/etc/wlm/ca.pem');
      expect(config.neo4j.caFile).toBe('/etc/wlm/ca.pem');
      expect(loadConfig({ env: {} }).rabbitmq.caFile).toBeUndefined();
    });

    it('refuses a CA beside a URL without TLS, or whose certificate is not checked', () => {
      expect(() => loadConfig({ env: { WLM_RABBITMQ_CA_FILE: '/etc/wlm/ca.pem' } })).toThrow(
        /rabbitmq\.caFile.*amqps/,
      );
      for (const url of ['bolt://g:7687', 'bolt+ssc://g:7687', 'neo4j+ssc://g:7687']) {
        expect(() => loadConfig({ env: { WLM_NEO4J_URL: url, WLM_NEO4J_CA_FILE: '/ca.pem' } })).toThrow(
          /neo4j\.caFile.*bolt\+s/,
        );
      }
    });
  });

  describe('readPemFile', () => {
    let dir: string;
    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), 'pem-'));
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it('reads a PEM file and names the setting when it cannot', () => {
      const pem = join(dir, 'ca.pem');
      writeFileSync(pem, '-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----\n');
      expect(readPemFile('rabbitmq.caFile', pem)).toContain('BEGIN CERTIFICATE');
      expect(() => readPemFile('rabbitmq.caFile', join(dir, 'missing.pem'))).toThrow(
        /^rabbitmq\.caFile: cannot read .*missing\.pem/,
      );
      const notPem = join(dir, 'ca.der');
      writeFileSync(notPem, Buffer.from([0x30, 0x82, 0x01]));
      expect(() => readPemFile('neo4j.caFile', notPem)).toThrow(/neo4j\.caFile: .*ca\.der holds no PEM/);
    });
  });

  describe('mysql ssl-mode', () => {
    let dir: string;
    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), 'mysql-tls-'));
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it('is plain TCP unless asked', () => {
      expect(parseMysqlUrl('mysql://u@db:3306/wlm').server.ssl).toBeUndefined();
      expect(parseMysqlUrl('mysql://u@db/wlm?ssl-mode=DISABLED').server.ssl).toBeUndefined();
    });

    it('encrypts without checking for REQUIRED, checks the certificate and host name for VERIFY_IDENTITY', () => {
      expect(parseMysqlUrl('mysql://u@db/wlm?ssl-mode=REQUIRED').server.ssl).toEqual({
        rejectUnauthorized: false,
      });
      const ca = join(dir, 'ca.pem');
      writeFileSync(ca, '-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----\n');
      const { server, database } = parseMysqlUrl(`mysql://u@db/wlm?ssl-mode=verify_identity&ssl-ca=${ca}`);
      expect(database).toBe('wlm');
      expect(server.ssl).toEqual({
        ca: expect.stringContaining('BEGIN CERTIFICATE'),
        rejectUnauthorized: true,
      });
    });

    it('checks the certificate but not the host name for VERIFY_CA', () => {
      const ssl = parseMysqlUrl('mysql://u@db/wlm?ssl-mode=VERIFY_CA').server.ssl;
      expect(ssl?.rejectUnauthorized).toBe(true);
      expect(ssl?.checkServerIdentity?.()).toBeUndefined();
    });

    it('refuses an unknown mode or option, a CA without TLS, and a CA file it cannot read', () => {
      expect(() => parseMysqlUrl('mysql://u@db/wlm?ssl-mode=SOMETIMES')).toThrow(/ssl-mode must be one of/);
      expect(() => parseMysqlUrl('mysql://u@db/wlm?charset=utf8')).toThrow(/only ssl-mode and ssl-ca/);
      expect(() => parseMysqlUrl(`mysql://u@db/wlm?ssl-ca=${join(dir, 'x')}`)).toThrow(
        /ssl-mode is DISABLED/,
      );
      expect(() => parseMysqlUrl(`mysql://u@db/wlm?ssl-mode=VERIFY_CA&ssl-ca=${join(dir, 'x')}`)).toThrow(
        /cannot read/,
      );
    });
  });
});
