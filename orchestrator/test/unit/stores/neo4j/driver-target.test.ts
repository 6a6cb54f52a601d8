import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '@wlm/commons/errors';
import { neo4jDriverTarget } from '../../../../src/stores/neo4j/driver-target';

describe('neo4jDriverTarget', () => {
  let dir: string;
  let ca: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'neo4j-target-'));
    ca = join(dir, 'ca.pem');
    writeFileSync(ca, '-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----\n');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('passes the URL as it is without a CA file: the scheme says how TLS goes', () => {
    for (const url of ['bolt://g:7687', 'bolt+s://g:7687', 'bolt+ssc://g:7687', 'neo4j+s://g']) {
      expect(neo4jDriverTarget(url, undefined)).toEqual({ url, encryption: {}, caPem: undefined });
    }
  });

  it('turns a +s URL with a CA file into encryption settings trusting that CA only', () => {
    const target = neo4jDriverTarget('bolt+s://graph.example:7687', ca);
    expect(target.url).toBe('bolt://graph.example:7687');
    expect(target.encryption).toEqual({
      encrypted: 'ENCRYPTION_ON',
      trust: 'TRUST_CUSTOM_CA_SIGNED_CERTIFICATES',
      trustedCertificates: [ca],
    });
    expect(target.caPem).toContain('BEGIN CERTIFICATE');
    expect(neo4jDriverTarget('neo4j+s://graph.example', ca).url).toBe('neo4j://graph.example');
  });

  it('refuses a CA file beside a URL that checks no certificate, and a CA file it cannot read', () => {
    expect(() => neo4jDriverTarget('bolt+ssc://g:7687', ca)).toThrow(ConfigError);
    expect(() => neo4jDriverTarget('bolt://g:7687', ca)).toThrow(/needs a bolt\+s:\/\/ or neo4j\+s:\/\//);
    expect(() => neo4jDriverTarget('bolt+s://g:7687', join(dir, 'missing.pem'))).toThrow(
      /neo4j\.caFile: cannot read/,
    );
  });
});
