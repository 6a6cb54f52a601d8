import { shellQuote } from '@wlm/commons/remote';
import type { RemoteShell } from '@wlm/commons/remote';
import { scriptBody } from './batch-script';
import type { BatchJobSpec, BatchSystem, JobStatus, SubmittedJob } from './batch-system';

/** What `timeout` exits with when it stopped the command for running out of time. */
const TIMEOUT_EXIT = 124;

/** Where the local adapter keeps a job's exit status: beside its script. */
function exitFileOf(scriptPath: string): string {
  return `${scriptPath}.exit`;
}

/** Where the local adapter's job writes its process id as it starts: beside its script. */
function pidFileOf(scriptPath: string): string {
  return `${scriptPath}.pid`;
}

/**
 * A plain process on a resource without a batch system: the script runs detached in a session of
 * its own (so a cancel reaches every process it started), its wall time enforced by `timeout`, and
 * its process id written beside the script as it starts and its exit status when it ends. The job
 * id is the session's process id.
 */
export class LocalBatchSystem implements BatchSystem {
  readonly kind = 'local';

  renderScript(spec: BatchJobSpec): string {
    return [`#!/bin/bash`, ...scriptBody(spec), ''].join('\n');
  }

  submitCommand(scriptPath: string, spec: BatchJobSpec): string {
    const limit = spec.wallTimeMinutes === undefined ? '' : `timeout ${spec.wallTimeMinutes * 60} `;
    const script = shellQuote(scriptPath);
    // The job writes its own pid first, so that it can be found when the shell that started it
    // died before printing it.
    const job = [
      `echo $$ > ${shellQuote(pidFileOf(scriptPath))}`,
      `${limit}bash ${script} > ${shellQuote(spec.stdoutPath)} 2> ${shellQuote(spec.stderrPath)} < /dev/null`,
      `echo $? > ${shellQuote(exitFileOf(scriptPath))}`,
    ].join('; ');
    // setsid gives the job its own session; with no terminal and every stream redirected, the SSH
    // channel closes as soon as the id is printed, and the job outlives the connection.
    // `cd … || exit` rather than `&&`: `a && b &` would background both, and `$!` be a subshell.
    return `cd ${shellQuote(spec.workDir)} || exit 1; setsid bash -c ${shellQuote(job)} > /dev/null 2>&1 < /dev/null & echo $!`;
  }

  findCommand(scriptPath: string): string {
    const pidFile = shellQuote(pidFileOf(scriptPath));
    return `if [ -s ${pidFile} ]; then cat ${pidFile}; fi`;
  }

  jobIdOf(printed: string): string | undefined {
    const last = printed.trim().split('\n').pop()?.trim();
    return last !== undefined && /^\d+$/.test(last) ? last : undefined;
  }

  async status(shell: RemoteShell, job: SubmittedJob, signal?: AbortSignal): Promise<JobStatus | undefined> {
    const exitFile = shellQuote(exitFileOf(job.scriptPath));
    const probe = [
      `if [ -s ${exitFile} ]; then echo "exit $(cat ${exitFile})"`,
      `elif kill -0 ${shellQuote(job.id)} 2>/dev/null; then echo running`,
      'else echo gone; fi',
    ].join('; ');
    const answer = (await shell.run(probe, signal === undefined ? {} : { signal })).trim();
    if (answer === 'running') return { phase: 'running', state: 'RUNNING' };
    const exit = /^exit (\d+)$/.exec(answer);
    if (exit === null) return undefined;
    const exitCode = Number(exit[1]);
    if (exitCode === 0) return { phase: 'completed', state: 'COMPLETED', exitCode };
    if (exitCode === TIMEOUT_EXIT)
      return { phase: 'failed', state: 'TIMEOUT', exitCode, reason: 'TimeLimit' };
    return { phase: 'failed', state: 'FAILED', exitCode, reason: 'NonZeroExitCode' };
  }

  async cancel(shell: RemoteShell, job: SubmittedJob, signal?: AbortSignal): Promise<void> {
    // The session's process group: the script and everything it started.
    await shell.run(
      `kill -TERM -- -${shellQuote(job.id)} 2>/dev/null; true`,
      signal === undefined ? {} : { signal },
    );
  }
}
