/** What the stack's sshd is configured from; all paths absolute. */
export interface SshdConfigInput {
  readonly host: string;
  readonly port: number;
  readonly hostKey: string;
  readonly authorizedKeys: string;
  readonly pidFile: string;
}

/** sshd_config wants values with spaces quoted; token-expanding keywords also want `%` doubled. */
function value(text: string, expandsTokens = false): string {
  const escaped = expandsTokens ? text.replaceAll('%', '%%') : text;
  return /[\s"]/.test(escaped) ? `"${escaped.replaceAll('"', '\\"')}"` : escaped;
}

/**
 * An sshd that runs in the foreground for the stack only: one address, one host key of its own, key
 * login against the stack's authorized_keys and nothing else (no PAM, no passwords).
 */
export function renderSshdConfig(input: SshdConfigInput): string {
  return [
    '# Written by `wlm stack up`; rewritten on every start.',
    `Port ${input.port}`,
    `ListenAddress ${input.host}`,
    `HostKey ${value(input.hostKey)}`,
    `AuthorizedKeysFile ${value(input.authorizedKeys, true)}`,
    `PidFile ${value(input.pidFile)}`,
    'PubkeyAuthentication yes',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'PermitRootLogin prohibit-password',
    // No PAM: it would want a login session set-up this throwaway server has no business doing.
    'UsePAM no',
    // The stack dir lives in a checkout whose permissions sshd cannot be expected to like.
    'StrictModes no',
    'PrintMotd no',
    'Subsystem sftp internal-sftp',
    '',
  ].join('\n');
}

/** The known_hosts line that pins `host:port` to the stack's host key (`ssh-ed25519 AAAA… comment`). */
export function renderKnownHosts(host: string, port: number, hostPublicKey: string): string {
  const [type, key] = hostPublicKey.trim().split(/\s+/);
  if (type === undefined || key === undefined) throw new TypeError('not an OpenSSH public key');
  const name = port === 22 ? host : `[${host}]:${port}`;
  return `${name} ${type} ${key}\n`;
}
