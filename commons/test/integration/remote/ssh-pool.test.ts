import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { WlmError } from '@wlm/commons/errors';
import { SshError, SshPool, sharedSshPool, shellQuote } from '@wlm/commons/remote';
import { stackSshFiles, stackSshResource } from '../support/stack-sshd';

/** Pooling, reconnecting and SFTP against the stack's sshd; files go to a folder of this test file's own. */
describe('SshPool', () => {
  const resource = stackSshResource('it-pool');
  const remoteDir = `${resource.workRoot}/it-pool-${process.pid}-${Date.now()}`;
  let localDir: string;
  let pool: SshPool;

  beforeAll(async () => {
    localDir = mkdtempSync(join(tmpdir(), 'wlm-ssh-pool-'));
    pool = new SshPool();
    await (await pool.connect(resource)).run(`mkdir -p ${shellQuote(remoteDir)}`);
  });
  afterAll(async () => {
    const cleanup = new SshPool();
    await (await cleanup.connect(resource)).run(`rm -rf ${shellQuote(remoteDir)}`);
    await Promise.all([cleanup.close(), pool.close(), sharedSshPool().close()]);
    rmSync(localDir, { recursive: true, force: true });
  });

  it('gives every caller the same connection of a resource, even while it is being opened', async () => {
    const fresh = new SshPool();
    try {
      const [first, second] = await Promise.all([fresh.connect(resource), fresh.connect(resource)]);
      expect(second).toBe(first);
      await expect(fresh.connect(resource)).resolves.toBe(first);
      // Another resource (another name) gets a connection of its own.
      const other = await fresh.connect(stackSshResource('it-pool-other'));
      expect(other).not.toBe(first);
      expect(other.resource.name).toBe('it-pool-other');
    } finally {
      await fresh.close();
    }
  });

  it('opens a new connection once the pooled one was dropped', async () => {
    const ssh = await pool.connect(resource);
    // SIGKILL the sshd process that serves this connection (the parent of the command's shell).
    const error: unknown = await ssh.exec('kill -KILL $PPID; sleep 5').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SshError);
    expect(error).toMatchObject({ code: 'SSH_CONNECTION_LOST', retryable: true });
    await expect(ssh.exec('true')).rejects.toMatchObject({ code: 'SSH_CONNECTION_LOST' });
    const reopened = await pool.connect(resource);
    expect(reopened).not.toBe(ssh);
    await expect(reopened.run('echo back')).resolves.toBe('back\n');
  });

  it('closes a connection nobody used for idleCloseMs, and opens another on the next connect', async () => {
    const idle = stackSshResource('it-pool-idle', { connection: { idleCloseMs: 200 } });
    const fresh = new SshPool();
    try {
      const first = await fresh.connect(idle);
      await first.run('true');
      // Well past idleCloseMs; the connection's close is not observable through SshConnection, and
      // using it to check would restart its idle countdown.
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      await expect(first.exec('true')).rejects.toMatchObject({ code: 'SSH_CONNECTION_LOST' });
      const second = await fresh.connect(idle);
      expect(second).not.toBe(first);
      await expect(second.run('echo again')).resolves.toBe('again\n');
    } finally {
      await fresh.close();
    }
  });

  it('keeps one connection per settings: a changed resource is not served the old one', async () => {
    const first = await pool.connect(resource);
    const changed = stackSshResource('it-pool', { env: { WLM_IT_CHANGED: 'yes' } });
    const second = await pool.connect(changed);
    expect(second).not.toBe(first);
    await expect(second.run('echo $WLM_IT_CHANGED')).resolves.toBe('yes\n');
  });

  it('round-trips files over one reused SFTP channel', async () => {
    const ssh = await pool.connect(resource);
    const sftp = await ssh.sftp();
    await expect(ssh.sftp()).resolves.toBe(sftp);
    const content = randomBytes(3 * 1024 * 1024 + 17);
    const upload = join(localDir, 'upload.bin');
    const download = join(localDir, 'download.bin');
    writeFileSync(upload, content);
    const remoteFile = `${remoteDir}/data.bin`;
    await promisify(sftp.fastPut.bind(sftp))(upload, remoteFile);
    await expect(ssh.run(`stat -c %s ${shellQuote(remoteFile)}`)).resolves.toBe(`${content.length}\n`);
    await promisify(sftp.fastGet.bind(sftp))(remoteFile, download);
    expect(readFileSync(download).equals(content)).toBe(true);
    await promisify(sftp.writeFile.bind(sftp))(`${remoteDir}/note.txt`, 'written over SFTP\n');
    await expect(ssh.run(`cat ${shellQuote(`${remoteDir}/note.txt`)}`)).resolves.toBe('written over SFTP\n');
  });

  it('counts an SFTP stream as use: a slow upload is not closed as idle', async () => {
    const idle = stackSshResource('it-pool-sftp-idle', { connection: { idleCloseMs: 200 } });
    const fresh = new SshPool();
    try {
      const ssh = await fresh.connect(idle);
      const sftp = await ssh.sftp();
      const remoteFile = `${remoteDir}/slow.txt`;
      const stream = sftp.createWriteStream(remoteFile);
      const written = new Promise<void>((resolve, reject) => {
        stream.on('close', resolve);
        stream.on('error', reject);
      });
      // Ten writes 150 ms apart: the upload lasts far longer than idleCloseMs.
      for (let index = 0; index < 10; index += 1) {
        stream.write(`line ${index}\n`);
        await new Promise((resolve) => setTimeout(resolve, 150));
      }
      stream.end();
      await written;
      await expect(ssh.run(`wc -l < ${shellQuote(remoteFile)}`)).resolves.toBe('10\n');
    } finally {
      await fresh.close();
    }
  });

  it('logs in through an ssh-agent', async () => {
    const socket = join(localDir, 'agent.sock');
    const agent = spawn('ssh-agent', ['-D', '-a', socket], { stdio: 'ignore' });
    try {
      const env = { ...process.env, SSH_AUTH_SOCK: socket };
      // ssh-add retries until the agent listens.
      const added = await new Promise<number | null>((resolve) => {
        const tryAdd = (left: number): void => {
          const add = spawn('ssh-add', ['-q', stackSshFiles().clientKey], { env, stdio: 'ignore' });
          add.on('exit', (code) => {
            if (code === 0 || left === 0) resolve(code);
            else setTimeout(() => tryAdd(left - 1), 100);
          });
        };
        tryAdd(50);
      });
      expect(added).toBe(0);
      const fresh = new SshPool();
      try {
        const viaAgent = stackSshResource('it-pool-agent', { privateKeyFile: undefined, agent: socket });
        const ssh = await fresh.connect(viaAgent);
        await expect(ssh.run('echo agent')).resolves.toBe('agent\n');
      } finally {
        await fresh.close();
      }
    } finally {
      agent.kill('SIGTERM');
    }
  });

  it('closes every connection, idempotently, and refuses to connect afterwards', async () => {
    const fresh = new SshPool();
    const ssh = await fresh.connect(resource);
    await Promise.all([fresh.close(), fresh.close()]);
    await expect(ssh.exec('true')).rejects.toMatchObject({ code: 'SSH_CONNECTION_LOST' });
    const error: unknown = await fresh.connect(resource).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(WlmError);
    expect(error).toMatchObject({ code: 'SHUTTING_DOWN' });
  });

  it('shares one pool per process, and a new one after it was closed', async () => {
    const shared = sharedSshPool();
    expect(sharedSshPool()).toBe(shared);
    await expect((await shared.connect(resource)).run('echo shared')).resolves.toBe('shared\n');
    await shared.close();
    expect(sharedSshPool()).not.toBe(shared);
  });
});
