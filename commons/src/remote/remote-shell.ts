/** What a remote command did. */
export interface CommandResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface ExecOptions {
  /** Aborting sends the remote command SIGTERM, closes its channel and rejects with the signal's reason. */
  readonly signal?: AbortSignal;
  /** Written to the command's standard input, which is then closed; without it, stdin is empty. */
  readonly stdin?: string | Buffer;
  /** Like `signal`, after this long; rejects with an `SshError` `REMOTE_COMMAND_TIMEOUT`. */
  readonly timeoutMs?: number;
}

/** Runs shell commands on a compute resource. */
export interface RemoteShell {
  /**
   * Runs `command` through the user's shell on the resource, the resource's `env` exported first;
   * resolves with any exit code. A command killed by a signal exits with 128 + the signal's number,
   * as in a shell.
   */
  exec(command: string, options?: ExecOptions): Promise<CommandResult>;
  /**
   * Like {@link exec}, but a non-zero exit rejects with a `RemoteCommandError` (`REMOTE_COMMAND_FAILED`,
   * with `exitCode` and the last 2 KB of stderr); resolves with stdout.
   */
  run(command: string, options?: ExecOptions): Promise<string>;
}

/**
 * Quotes `word` for a POSIX shell: always in single quotes, each `'` written as `'\''`. Safe for any
 * string, so build commands as `` `mkdir -p ${shellQuote(dir)}` `` and never interpolate unquoted values.
 */
export function shellQuote(word: string): string {
  // A shell cannot take a NUL in an argument: it would silently cut the word short.
  if (word.includes('\0')) throw new TypeError('a shell word cannot contain a NUL character');
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/** `export K='v'; ` for each variable, to put before a command. */
export function exportEnvironment(env: Readonly<Record<string, string>>): string {
  return Object.entries(env)
    .map(([name, value]) => `export ${name}=${shellQuote(value)}; `)
    .join('');
}
