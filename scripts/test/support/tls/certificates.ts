import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** PEM files of a throwaway CA, a server certificate it signed, and a CA that signed nothing here. */
export interface TestCertificates {
  readonly ca: string;
  /** For 127.0.0.1 and localhost. */
  readonly serverCert: string;
  readonly serverKey: string;
  /** Another CA: a client trusting only this one must refuse the servers. */
  readonly wrongCa: string;
}

function openssl(args: readonly string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'], timeout: 30_000 });
}

function newCa(dir: string, name: string): { cert: string; key: string } {
  const cert = join(dir, `${name}.pem`);
  const key = join(dir, `${name}.key`);
  const subject = `/CN=wlm test ${name}`;
  openssl(
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '2',
      '-subj',
      subject,
    ],
    dir,
  );
  return { cert, key };
}

/** Made with the `openssl` CLI in `dir`, valid for two days. */
export function makeTestCertificates(dir: string): TestCertificates {
  const ca = newCa(dir, 'ca');
  const wrong = newCa(dir, 'wrong-ca');
  const serverKey = join(dir, 'server.key');
  const csr = join(dir, 'server.csr');
  const serverCert = join(dir, 'server.pem');
  const extensions = join(dir, 'server.ext');
  writeFileSync(
    extensions,
    [
      'subjectAltName=DNS:localhost,IP:127.0.0.1',
      'basicConstraints=CA:FALSE',
      'keyUsage=digitalSignature,keyEncipherment',
      'extendedKeyUsage=serverAuth',
      '',
    ].join('\n'),
  );
  openssl(
    ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', serverKey, '-out', csr, '-subj', '/CN=localhost'],
    dir,
  );
  openssl(
    [
      'x509',
      '-req',
      '-in',
      csr,
      '-CA',
      ca.cert,
      '-CAkey',
      ca.key,
      '-CAcreateserial',
      '-out',
      serverCert,
      '-days',
      '2',
      '-extfile',
      extensions,
    ],
    dir,
  );
  return { ca: ca.cert, serverCert, serverKey, wrongCa: wrong.cert };
}
