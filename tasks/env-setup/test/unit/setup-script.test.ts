import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { commandOutput, lastStartedStep, setupScript } from '../../src/setup-script';

/** Runs the script with the local POSIX shell, as the resource's shell would. */
function runScript(script: string): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync('/bin/sh', ['-c', script], { encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('setup script', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "wlm env 'setup' "));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('runs the commands in order, in the work directory, in one shell', () => {
    const result = runScript(
      setupScript(dir, ['export GREETING=hello', 'echo "$GREETING from $(pwd)"', 'echo done']),
    );
    expect(result.status).toBe(0);
    expect(commandOutput(result.stdout)).toBe(`hello from ${dir}\ndone\n`);
    expect(lastStartedStep(result.stdout)).toBe(3);
  });

  it('stops at the first failing command, whose number the markers give', () => {
    const result = runScript(setupScript(dir, ['echo one', 'echo boom >&2; exit 7', 'echo never']));
    expect(result.status).toBe(7);
    expect(lastStartedStep(result.stdout)).toBe(2);
    expect(commandOutput(result.stdout)).toBe('one\n');
    expect(result.stderr).toBe('boom\n');
  });

  it('counts a failing cd as no step started', () => {
    const result = runScript(setupScript(join(dir, 'missing'), ['echo never']));
    expect(result.status).not.toBe(0);
    expect(lastStartedStep(result.stdout)).toBeUndefined();
  });

  it('finds the marker even when a command printed no final newline', () => {
    const result = runScript(setupScript(dir, ['printf partial', 'false']));
    expect(lastStartedStep(result.stdout)).toBe(2);
    expect(commandOutput(result.stdout)).toBe('partial');
  });
});
