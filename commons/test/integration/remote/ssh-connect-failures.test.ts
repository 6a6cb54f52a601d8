import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { utils } from 'ssh2';
import { freePort } from '@wlm/commons/net';
import { ComputeResourceError, SshError, SshPool } from '@wlm/commons/remote';
import type { ComputeResource } from '@wlm/commons/remote';
import { stackSshFiles, stackSshResource } from '../support/stack-sshd';
import type { ResourceOverrides } from '../support/stack-sshd';

/** Every way a connect can fail, each against a real server: the stack's sshd, a closed port, a mute one. */
describe('SshPool.connect failures', () => {
  const files = stackSshFiles();
  const hostKeyFingerprint = execFileSync('ssh-keygen', ['-l', '-f', files.hostPublicKey], {
    encoding: 'utf8',
  }).split(' ')[1];
  let dir: string;
  let logLines: string[];
  let pool: SshPool;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'wlm-ssh-fail-'));
    logLines = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        logLines.push(chunk.toString('utf8'));
        done();
      },
    });
    pool = new SshPool({ logger: pino({ level: 'trace' }, sink) });
  });
  afterEach(async () => {
    await pool.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** The failure of connecting to `resource`, which must fail. */
  async function failure(resource: ComputeResource, signal?: AbortSignal): Promise<Error> {
    const error: unknown = await pool.connect(resource, signal).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    if (!(error instanceof Error)) throw new Error('expected the connect to fail');
    return error;
  }

  function resource(overrides: ResourceOverrides): ComputeResource {
    return stackSshResource('it-fail', overrides);
  }

  function freshKeyFile(name: string, passphrase?: string): string {
    const file = join(dir, name);
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', passphrase ?? '', '-C', 'wlm-it', '-f', file]);
    return file;
  }

  it('refuses a host whose key differs from the pinned one, showing the fingerprint it presented', async () => {
    const pinned = utils.generateKeyPairSync('ed25519').public;
    const error = await failure(resource({ hostKey: pinned, knownHostsFile: undefined }));
    expect(error).toBeInstanceOf(SshError);
    expect(error).toMatchObject({ code: 'SSH_HOST_KEY_REJECTED', retryable: false, resource: 'it-fail' });
    expect(error.message).toMatch(
      /^compute resource "it-fail": host key of .+@127\.0\.0\.1:\d+ has changed \(mismatch\)/,
    );
    expect(error.message).toContain(`it presented ssh-ed25519 key ${hostKeyFingerprint}`);
  });

  it('refuses a host that known_hosts does not list', async () => {
    const knownHosts = join(dir, 'known_hosts');
    const hostKey = readFileSync(files.hostPublicKey, 'utf8').trim().split(' ').slice(0, 2).join(' ');
    writeFileSync(knownHosts, `[127.0.0.1]:1 ${hostKey}\nother.example.org ${hostKey}\n`);
    const error = await failure(resource({ knownHostsFile: knownHosts }));
    expect(error).toMatchObject({ code: 'SSH_HOST_KEY_REJECTED', retryable: false });
    expect(error.message).toContain(`host key of`);
    expect(error.message).toContain(`is unknown: it presented ssh-ed25519 key ${hostKeyFingerprint}`);
    expect(error.message).toContain(`${knownHosts} has no key for it`);
  });

  it('accepts the host key pinned inline as well as through known_hosts', async () => {
    const hostKey = readFileSync(files.hostPublicKey, 'utf8').trim();
    const ssh = await pool.connect(resource({ hostKey, knownHostsFile: undefined }));
    await expect(ssh.run('echo pinned')).resolves.toBe('pinned\n');
  });

  it('fails at once when the login is refused', async () => {
    const keyFile = freshKeyFile('unauthorized');
    const error = await failure(resource({ privateKeyFile: keyFile, connection: { maxAttempts: 3 } }));
    expect(error).toBeInstanceOf(SshError);
    expect(error).toMatchObject({ code: 'SSH_AUTH_REFUSED', retryable: false });
    expect(error.message).toMatch(
      /^compute resource "it-fail": .+@127\.0\.0\.1:\d+ refused the login with private key /,
    );
    expect(error.message).toContain('authorized_keys');
    // Not retried: one attempt only.
    expect(logLines.join('')).not.toContain('retrying');
  });

  it('reads an encrypted key with the passphrase from the environment, and never shows the passphrase', async () => {
    const passphrase = 'correct horse battery staple';
    const keyFile = freshKeyFile('encrypted', passphrase);
    const variable = 'WLM_IT_SSH_KEY_PASSPHRASE';
    const encrypted = resource({ privateKeyFile: keyFile, privateKeyPassphraseEnv: variable });
    try {
      const unset = await failure(encrypted);
      expect(unset).toBeInstanceOf(ComputeResourceError);
      expect(unset).toMatchObject({ code: 'RESOURCE_INVALID' });
      expect(unset.message).toContain(`export ${variable}`);

      process.env[variable] = 'wrong passphrase';
      const wrong = await failure(encrypted);
      expect(wrong).toMatchObject({ code: 'RESOURCE_INVALID' });
      expect(wrong.message).toContain(`cannot use private key ${keyFile}`);

      // The right passphrase opens the key; the key is not authorized, so the login is what fails.
      process.env[variable] = passphrase;
      await expect(failure(encrypted)).resolves.toMatchObject({ code: 'SSH_AUTH_REFUSED' });
    } finally {
      delete process.env[variable];
    }
    const keyBody = readFileSync(keyFile, 'utf8').split('\n')[1] ?? '';
    const logs = logLines.join('');
    expect(logs).toContain('"resource":"it-fail"');
    expect(logs).not.toContain(passphrase);
    expect(logs).not.toContain('wrong passphrase');
    expect(keyBody.length).toBeGreaterThan(20);
    expect(logs).not.toContain(keyBody);
  });

  it('says which file cannot be read', async () => {
    const missing = join(dir, 'no-such-key');
    const error = await failure(resource({ privateKeyFile: missing }));
    expect(error).toBeInstanceOf(ComputeResourceError);
    expect(error).toMatchObject({ code: 'RESOURCE_INVALID', resource: 'it-fail' });
    expect(error.message).toContain(`cannot read privateKeyFile ${missing}`);
  });

  it('retries a refused connection with backoff, then says how often it tried', async () => {
    const port = await freePort('127.0.0.1', false);
    const error = await failure(
      resource({ port, connection: { maxAttempts: 3, backoffMs: 10, maxBackoffMs: 40 } }),
    );
    expect(error).toBeInstanceOf(SshError);
    expect(error).toMatchObject({ code: 'SSH_CONNECT_REFUSED', retryable: true });
    expect(error.message).toMatch(
      new RegExp(
        `^compute resource "it-fail": connect to .+@127\\.0\\.0\\.1:${port} refused after 3 attempts \\(ECONNREFUSED\\)$`,
      ),
    );
    expect(logLines.filter((line) => line.includes('retrying'))).toHaveLength(2);
  });

  describe('against a server that accepts connections and never speaks', () => {
    let server: net.Server;
    const sockets = new Set<net.Socket>();
    let port: number;

    beforeAll(async () => {
      server = net.createServer((socket) => {
        sockets.add(socket);
        // Read (and drop) what the client sends, so that its closing is seen.
        socket.resume();
        socket.on('close', () => sockets.delete(socket));
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      port = (server.address() as net.AddressInfo).port;
    });
    afterAll(async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    });

    it('times out each attempt after connectTimeoutMs', async () => {
      let accepted = 0;
      const count = (): void => {
        accepted += 1;
      };
      server.on('connection', count);
      try {
        const error = await failure(
          resource({ port, connection: { connectTimeoutMs: 300, maxAttempts: 2, backoffMs: 10 } }),
        );
        expect(error).toBeInstanceOf(SshError);
        expect(error).toMatchObject({ code: 'SSH_CONNECT_TIMEOUT', retryable: true });
        expect(error.message).toMatch(
          new RegExp(
            `connect to .+@127\\.0\\.0\\.1:${port} timed out after 2 attempts \\(no SSH login within 300 ms\\)$`,
          ),
        );
        expect(accepted).toBe(2);
      } finally {
        server.off('connection', count);
      }
    });

    it('lets one caller give up without stopping a connect that another caller still waits for', async () => {
      const mute = resource({ port, connection: { connectTimeoutMs: 500, maxAttempts: 1 } });
      const controller = new AbortController();
      const reason = new Error('this caller gave up');
      const impatient = failure(mute, controller.signal);
      const patient = failure(mute);
      controller.abort(reason);
      await expect(impatient).resolves.toBe(reason);
      await expect(patient).resolves.toMatchObject({ code: 'SSH_CONNECT_TIMEOUT' });
    });

    it('stops connecting as soon as the signal is aborted', async () => {
      const controller = new AbortController();
      const reason = new Error('the task was cancelled');
      const connecting = failure(
        resource({ port, connection: { connectTimeoutMs: 60_000, maxAttempts: 5 } }),
        controller.signal,
      );
      await new Promise((resolve) => setTimeout(resolve, 200));
      controller.abort(reason);
      await expect(connecting).resolves.toBe(reason);
      // The attempt's socket was closed, not left hanging for 60 s.
      for (let i = 0; i < 50 && sockets.size > 0; i += 1)
        await new Promise((resolve) => setTimeout(resolve, 100));
      expect(sockets.size).toBe(0);
    });
  });
});
