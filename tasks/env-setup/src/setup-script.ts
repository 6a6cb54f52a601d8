import { shellQuote } from '@wlm/commons/remote';

/**
 * Printed on stdout before each setup command, so that a failure can name the command that failed:
 * with `set -e` the last marker printed is that of the failing command.
 */
const STEP_MARKER = '__wlm_env_setup_step__';
const MARKER_LINE = new RegExp(`^${STEP_MARKER} (\\d+)$`, 'gm');

/**
 * One POSIX shell script that enters `workDir` and runs `commands` in order, stopping at the first
 * that fails (`set -e`). Each command goes on its own line, unquoted: it is a command line the
 * experiment's author wrote for the resource's shell.
 */
export function setupScript(workDir: string, commands: readonly string[]): string {
  const lines = ['set -e', `cd ${shellQuote(workDir)}`];
  commands.forEach((command, index) => {
    lines.push(`printf '\\n%s %d\\n' ${STEP_MARKER} ${index + 1}`, command);
  });
  return `${lines.join('\n')}\n`;
}

/** The 1-based number of the last command the script started, from its stdout; undefined before the first. */
export function lastStartedStep(stdout: string): number | undefined {
  let step: number | undefined;
  for (const match of stdout.matchAll(MARKER_LINE)) step = Number(match[1]);
  return step;
}

/** The script's stdout without the step markers: what the setup commands printed. */
export function commandOutput(stdout: string): string {
  return stdout.replace(new RegExp(`\\n?${STEP_MARKER} \\d+\\n`, 'g'), '');
}
