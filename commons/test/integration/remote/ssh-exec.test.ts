import { randomInt } from 'node:crypto';
import { RemoteCommandError, SshError, SshPool, shellQuote } from '@wlm/commons/remote';
import type { SshConnection } from '@wlm/commons/remote';
import { stackSshResource } from '../support/stack-sshd';

/** Commands on the stack's sshd through a pooled connection: exit codes, output, env, stdin, stopping. */
describe('RemoteShell over SSH', () => {
  const resource = stackSshResource('it-exec', {
    env: { WLM_IT_GREETING: "it's $HOME `x`", WLM_IT_EMPTY: '' },
  });
  let pool: SshPool;
  let ssh: SshConnection;

  beforeAll(async () => {
    pool = new SshPool();
    ssh = await pool.connect(resource);
  });
  afterAll(() => pool.close());

  /** A `sleep` no other process runs, so that the test can look for it on the resource. */
  function uniqueSleep(): { command: string; pattern: string } {
    const seconds = `30.${randomInt(100_000, 999_999)}`;
    return { command: `sleep ${seconds}`, pattern: `[s]leep ${seconds.replace('.', '\\.')}` };
  }

  /** Whether the process is gone within 5 s (it gets SIGTERM asynchronously). */
  async function goneFromResource(pattern: string): Promise<boolean> {
    const result = await ssh.exec(
      `for i in $(seq 50); do pgrep -f ${shellQuote(pattern)} >/dev/null || exit 0; sleep 0.1; done; exit 1`,
    );
    return result.exitCode === 0;
  }

  it('resolves with the exit code, stdout and stderr of any command', async () => {
    await expect(ssh.exec('echo out; echo err >&2; exit 3')).resolves.toEqual({
      exitCode: 3,
      stdout: 'out\n',
      stderr: 'err\n',
    });
    await expect(ssh.exec("printf 'no newline, ünïcode'")).resolves.toEqual({
      exitCode: 0,
      stdout: 'no newline, ünïcode',
      stderr: '',
    });
  });

  it('reports a command killed by a signal with 128 + its number, as a shell does', async () => {
    await expect(ssh.exec('kill -KILL $$')).resolves.toMatchObject({ exitCode: 137 });
  });

  it('run() resolves with stdout, or rejects with the exit code and the end of stderr', async () => {
    await expect(ssh.run('echo hello')).resolves.toBe('hello\n');
    const failing = 'head -c 5000 /dev/zero | tr "\\0" a >&2; echo " the reason" >&2; exit 7';
    const error: unknown = await ssh.run(failing).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RemoteCommandError);
    const failure = error as RemoteCommandError;
    expect(failure).toMatchObject({
      code: 'REMOTE_COMMAND_FAILED',
      exitCode: 7,
      resource: 'it-exec',
      retryable: false,
    });
    expect(failure.stderrTail.length).toBe(2048);
    expect(failure.stderrTail.endsWith('aaa the reason\n')).toBe(true);
    expect(failure.message).toContain('compute resource "it-exec"');
    expect(failure.message).toContain('command exited with code 7: head -c 5000');
    expect(failure.message).toContain('the reason');
  });

  it('shows only the first 200 characters of a long command in a failure', async () => {
    const command = `false ${'x'.repeat(300)}`;
    const error = (await ssh.run(command).catch((caught: unknown) => caught)) as RemoteCommandError;
    expect(error.command).toBe(`${command.slice(0, 200)}…`);
    expect(error.message).not.toContain('x'.repeat(201));
  });

  it("exports the resource's env, quoted, before every command", async () => {
    await expect(
      ssh.run('printf "%s|%s|%s" "$WLM_IT_GREETING" "${WLM_IT_EMPTY-unset}" "$HOME"'),
    ).resolves.toMatch(/^it's \$HOME `x`\|\|\//);
    // The exports are not part of what a failure shows.
    const error = (await ssh.run('exit 1').catch((caught: unknown) => caught)) as RemoteCommandError;
    expect(error.message).not.toContain('WLM_IT_GREETING');
  });

  it('feeds stdin, and closes it when there is none', async () => {
    await expect(ssh.run('wc -c; cat', { stdin: 'line one\nline two\n' })).resolves.toBe('18\n');
    await expect(ssh.run('tr a-z A-Z', { stdin: Buffer.from('binary\u0000safe') })).resolves.toBe(
      'BINARY\u0000SAFE',
    );
    // Without stdin the command sees end-of-file at once instead of waiting forever.
    await expect(ssh.run('cat; echo done')).resolves.toBe('done\n');
  });

  it('stops a command when its signal is aborted, killing it on the resource', async () => {
    const sleep = uniqueSleep();
    const controller = new AbortController();
    const reason = new Error('the task was cancelled');
    const running = ssh.exec(`echo started; ${sleep.command}; echo finished`, { signal: controller.signal });
    await expect(
      ssh.exec(
        `for i in $(seq 50); do pgrep -f ${shellQuote(sleep.pattern)} && exit 0; sleep 0.1; done; exit 1`,
      ),
    ).resolves.toMatchObject({ exitCode: 0 });
    controller.abort(reason);
    await expect(running).rejects.toBe(reason);
    await expect(goneFromResource(sleep.pattern)).resolves.toBe(true);
    // An already aborted signal runs nothing.
    await expect(ssh.exec('echo never', { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
  });

  it('stops a command that outlives timeoutMs', async () => {
    const sleep = uniqueSleep();
    const error: unknown = await ssh
      .exec(sleep.command, { timeoutMs: 500 })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SshError);
    expect(error).toMatchObject({ code: 'REMOTE_COMMAND_TIMEOUT', retryable: false });
    expect((error as Error).message).toMatch(
      /^compute resource "it-exec": command did not finish within 500 ms/,
    );
    await expect(goneFromResource(sleep.pattern)).resolves.toBe(true);
  });

  it('refuses more than 16 MB of stdout with a clear error', async () => {
    const error: unknown = await ssh.exec('head -c 20000000 /dev/zero').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SshError);
    expect(error).toMatchObject({ code: 'REMOTE_OUTPUT_TOO_LARGE' });
    expect((error as Error).message).toContain('fetch it over SFTP');
    // The connection stays usable.
    await expect(ssh.run('echo still here')).resolves.toBe('still here\n');
  });

  it('runs more commands at once than sshd allows sessions, by queueing them', async () => {
    const outputs = await Promise.all(
      Array.from({ length: 10 }, (_, index) => ssh.run(`sleep 0.3; echo ${index}`)),
    );
    expect(outputs).toEqual(Array.from({ length: 10 }, (_, index) => `${index}\n`));
  });
});
