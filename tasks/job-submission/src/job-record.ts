import { shellQuote } from '@wlm/commons/remote';
import type { BatchJobSpec, BatchSystem } from './batch';
import type { JobPaths } from './job-paths';

/** How long a round waits for another round of the same task that is submitting, on the resource. */
export const LOCK_WAIT_SECONDS = 60;

/** Exit codes of the submission step, besides the batch system's own when it refuses the job. */
export const STEP_EXIT = {
  /** Another round of the task held the lock for {@link LOCK_WAIT_SECONDS}. */
  locked: 75,
  /** The batch system could not say whether an interrupted submission reached it. */
  unanswered: 76,
  /** The record holds something this version does not write. */
  unreadable: 77,
} as const;

/** The first line the step prints: how the task's job was come by. */
export type StepOutcome = 'reused' | 'recovered' | 'submitted';

/**
 * The shell program that gives a task its one job, run as one remote command: under an exclusive
 * `flock` on the task's lock file, it prints the job of the record when there is one; otherwise it
 * marks the record `submitting`, writes the script, submits it and records what the batch system
 * printed — all before it prints anything, so the record is written even when the client is gone.
 *
 * A record left `submitting` means a shell died between marking and recording (killed, or the host
 * went down). The batch system is then asked for a job of this script ({@link BatchSystem.findCommand})
 * before anything is submitted: a job it knows is adopted; only when it knows none is the job
 * submitted again. A submit command that fails is followed by the same question before the record
 * is removed.
 *
 * HUP and PIPE are ignored, and TERM once the lock is held: a client that goes away, or aborts the
 * command (which sends its process group SIGTERM), does not cut the step between `sbatch` and the
 * record; a round aborted while it waits for the lock stops there, having done nothing.
 */
export function submissionStep(batch: BatchSystem, spec: BatchJobSpec, paths: JobPaths): string {
  const record = shellQuote(paths.recordPath);
  const dirs = [paths.workDir, dirOf(paths.scriptPath), dirOf(paths.stdoutPath)].map(shellQuote);
  const find = batch.findCommand(paths.scriptPath, spec);
  return [
    "trap '' HUP PIPE",
    `mkdir -p ${dirs.join(' ')} || exit 1`,
    `exec 9>>${shellQuote(paths.lockPath)} || exit 1`,
    `flock -w ${LOCK_WAIT_SECONDS} 9 || { echo 'another round of this task is submitting its job' >&2; exit ${STEP_EXIT.locked}; }`,
    // Past the lock, an abort no longer stops the step: it ends with a record either way.
    "trap '' TERM",
    // Written whole, then renamed over the record: a reader never sees half a record.
    `record() { printf '%s\\n' "$@" > ${record}.new && mv -f ${record}.new ${record}; }`,
    // The job the batch system knows for the script, recorded and printed; returns when it knows none.
    'adopt() {',
    `  found=$(${find}) || { echo 'the batch system cannot say whether the job was submitted' >&2; exit ${STEP_EXIT.unanswered}; }`,
    '  [ -n "$found" ] || return 1',
    `  record submitted "$found"; echo recovered; printf '%s\\n' "$found"; exit 0`,
    '}',
    `state=; [ -f ${record} ] && state=$(head -n 1 ${record})`,
    'case $state in',
    `submitted) echo reused; tail -n +2 ${record}; exit 0 ;;`,
    'submitting) adopt ;;',
    "'') ;;",
    `*) echo "unreadable job record "${record} >&2; exit ${STEP_EXIT.unreadable} ;;`,
    'esac',
    'record submitting || exit 1',
    `printf '%s' ${shellQuote(batch.renderScript(spec))} > ${shellQuote(paths.scriptPath)} || { rm -f ${record}; exit 1; }`,
    // The job must not inherit the ignored signals (a local job's `timeout` and cancel send TERM).
    `out=$(trap - HUP TERM PIPE; ${batch.submitCommand(paths.scriptPath, spec)}); rc=$?`,
    // A submit command that failed may still have been taken (killed by an abort after the batch
    // system had the job): only when the batch system knows no job is the record removed.
    'if [ $rc -ne 0 ] || [ -z "$out" ]; then',
    '  adopt',
    `  rm -f ${record}`,
    `  [ $rc -ne 0 ] || { echo 'the batch system printed no job id' >&2; rc=1; }`,
    '  exit $rc',
    'fi',
    // Should the record not be written (a full disk), the job is still reported, and a later
    // attempt finds it from the `submitting` record through the batch system.
    'record submitted "$out" || echo "the job record could not be written" >&2',
    `echo submitted; printf '%s\\n' "$out"`,
  ].join('\n');
}

function dirOf(path: string): string {
  return path.slice(0, path.lastIndexOf('/'));
}

/**
 * The shell program that prints what the task's record says was submitted (after any submission
 * under way has ended), or what the batch system knows of a submission left `submitting`; nothing
 * when the task has no job. A cancel that has no checkpoint reads its job this way.
 */
export function recordedJobStep(batch: BatchSystem, spec: BatchJobSpec, paths: JobPaths): string {
  const record = shellQuote(paths.recordPath);
  return [
    `[ -d ${shellQuote(dirOf(paths.lockPath))} ] || exit 0`,
    `exec 9>>${shellQuote(paths.lockPath)} && flock -w ${LOCK_WAIT_SECONDS} 9 || exit ${STEP_EXIT.locked}`,
    `[ -f ${record} ] || exit 0`,
    `case $(head -n 1 ${record}) in`,
    `submitted) tail -n +2 ${record} ;;`,
    `submitting) ${batch.findCommand(paths.scriptPath, spec)} ;;`,
    'esac',
  ].join('\n');
}
