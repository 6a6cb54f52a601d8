import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { Client, utils } from 'ssh2';
import type { ConnectConfig, ServerHostKeyAlgorithm } from 'ssh2';
import type { ComputeResource } from './compute-resource';
import {
  knownHostName,
  knownKeysOf,
  parseKnownHosts,
  parsePublicKey,
  preferredHostKeyAlgorithms,
  verifyHostKey,
} from './known-hosts';
import type { HostKeyVerdict, KnownHostKey } from './known-hosts';
import { ComputeResourceError, SshError, sshAddress } from './ssh-errors';
import type { SshErrorCode } from './ssh-errors';

/**
 * Socket errors that are a timeout (the OS gave up connecting); every other socket error before login
 * (ECONNREFUSED, ECONNRESET, EHOSTUNREACH, ENOTFOUND, EAI_AGAIN, …) counts as refused. Both are retried.
 */
const TIMEOUT_SOCKET_CODES = new Set(['ETIMEDOUT']);
/** SSH disconnect reasons (RFC 4253 §11.1) that a busy server sends before login. */
const DISCONNECT_TOO_MANY_CONNECTIONS = 12;
const DISCONNECT_NO_MORE_AUTH_METHODS = 14;

/** `~/x` is `x` in the home directory of the worker's user, as in OpenSSH's config. */
export function expandHome(path: string): string {
  return path === '~' || path.startsWith('~/') ? `${homedir()}${path.slice(1)}` : path;
}

/** What a connect attempt needs, read from disk and the environment once per {@link connectWithRetry}. */
interface Credentials {
  readonly auth: Pick<ConnectConfig, 'privateKey' | 'passphrase' | 'agent'>;
  /** How the login is made, for messages: `private key /path` or `ssh-agent at /socket`. */
  readonly method: string;
  readonly knownKeys: KnownHostKey[];
  /** Where the known keys come from, for messages. */
  readonly keySources: string;
}

function readResourceFile(resource: ComputeResource, setting: string, path: string): Buffer {
  try {
    return readFileSync(expandHome(path));
  } catch (error) {
    throw new ComputeResourceError(
      'RESOURCE_INVALID',
      resource.name,
      `compute resource "${resource.name}": cannot read ${setting} ${path}: ${(error as Error).message}`,
      { cause: error },
    );
  }
}

function invalid(resource: ComputeResource, problem: string): ComputeResourceError {
  return new ComputeResourceError(
    'RESOURCE_INVALID',
    resource.name,
    `compute resource "${resource.name}": ${problem}`,
  );
}

function loadCredentials(resource: ComputeResource, env: NodeJS.ProcessEnv): Credentials {
  const knownKeys: KnownHostKey[] = [];
  const sources: string[] = [];
  if (resource.hostKey !== undefined) {
    const pinned = parsePublicKey(resource.hostKey);
    if (pinned === undefined) throw invalid(resource, `hostKey is not a public key: ${resource.hostKey}`);
    knownKeys.push({ ...pinned, revoked: false, source: 'hostKey' });
    sources.push('the pinned hostKey');
  }
  if (resource.knownHostsFile !== undefined) {
    const text = readResourceFile(resource, 'knownHostsFile', resource.knownHostsFile).toString('utf8');
    const entries = parseKnownHosts(text, resource.knownHostsFile);
    knownKeys.push(...knownKeysOf(entries, resource.host, resource.port));
    sources.push(
      `the entries for ${knownHostName(resource.host, resource.port)} in ${resource.knownHostsFile}`,
    );
  }
  const keySources = sources.join(' and ');
  if (resource.agent !== undefined) {
    return {
      auth: { agent: resource.agent },
      method: `ssh-agent at ${resource.agent}`,
      knownKeys,
      keySources,
    };
  }
  const keyFile = resource.privateKeyFile ?? '';
  const privateKey = readResourceFile(resource, 'privateKeyFile', keyFile);
  let passphrase: string | undefined;
  if (resource.privateKeyPassphraseEnv !== undefined) {
    passphrase = env[resource.privateKeyPassphraseEnv];
    if (passphrase === undefined) {
      throw invalid(
        resource,
        `the passphrase of ${keyFile} is not set: export ${resource.privateKeyPassphraseEnv}`,
      );
    }
  }
  // ssh2's messages name the problem ("no passphrase given", "bad passphrase"), never the key's contents.
  const parsed = utils.parseKey(privateKey, passphrase);
  if (parsed instanceof Error)
    throw invalid(resource, `cannot use private key ${keyFile}: ${parsed.message}`);
  return {
    auth: passphrase === undefined ? { privateKey } : { privateKey, passphrase },
    method: `private key ${keyFile}`,
    knownKeys,
    keySources,
  };
}

/** One failed attempt: what failed in words for the final message, and whether another attempt may help. */
class AttemptFailure {
  constructor(
    readonly code: SshErrorCode,
    /** Completes "connect to user@host:port …", e.g. `refused`. */
    readonly what: string,
    /** The reason in brackets, e.g. `ECONNREFUSED`. */
    readonly why: string,
    readonly cause: unknown,
    /** A complete message instead of "connect to … what (why)", for failures that are not about reaching the host. */
    readonly message?: string,
  ) {}

  get retryable(): boolean {
    return this.code === 'SSH_CONNECT_TIMEOUT' || this.code === 'SSH_CONNECT_REFUSED';
  }

  toError(resource: ComputeResource, attempts: number): SshError {
    const after = attempts > 1 ? ` after ${attempts} attempts` : '';
    const message = this.message ?? `connect to ${sshAddress(resource)} ${this.what}${after} (${this.why})`;
    return new SshError(this.code, resource, message, { cause: this.cause });
  }
}

function hostKeyFailure(
  resource: ComputeResource,
  verdict: HostKeyVerdict,
  credentials: Credentials,
  cause: unknown,
) {
  if (verdict.accepted) throw new TypeError('an accepted host key is no failure');
  const presented = `it presented ${verdict.type} key ${verdict.fingerprint}`;
  const address = sshAddress(resource);
  const messages = {
    unknown:
      `host key of ${address} is unknown: ${presented}, and ${credentials.keySources} has no key for it; ` +
      `if this is the right host, pin its key (hostKey, or a line in knownHostsFile as ssh-keyscan -p ${resource.port} ${resource.host} prints it)`,
    changed:
      `host key of ${address} has changed (mismatch): ${presented}, which is not in ${credentials.keySources}; ` +
      'someone may be intercepting the connection, or the host was reinstalled: ask its administrators before updating the key',
    revoked: `host key of ${address} is revoked: ${presented}, which ${credentials.keySources} marks @revoked`,
  };
  return new AttemptFailure(
    'SSH_HOST_KEY_REJECTED',
    'rejected',
    verdict.reason,
    cause,
    messages[verdict.reason],
  );
}

type Ssh2Error = Error & { level?: string; code?: string | number };

function classify(
  resource: ComputeResource,
  error: Ssh2Error,
  verdict: HostKeyVerdict | undefined,
  credentials: Credentials,
): AttemptFailure {
  if (verdict !== undefined && !verdict.accepted)
    return hostKeyFailure(resource, verdict, credentials, error);
  const timeoutMs = resource.connection.connectTimeoutMs;
  switch (error.level) {
    case 'client-timeout':
      return new AttemptFailure(
        'SSH_CONNECT_TIMEOUT',
        'timed out',
        `no SSH login within ${timeoutMs} ms`,
        error,
      );
    case 'client-socket':
    case 'client-dns': {
      const code = typeof error.code === 'string' ? error.code : error.message;
      return TIMEOUT_SOCKET_CODES.has(code)
        ? new AttemptFailure('SSH_CONNECT_TIMEOUT', 'timed out', code, error)
        : new AttemptFailure('SSH_CONNECT_REFUSED', 'refused', code, error);
    }
    case 'protocol':
      // ssh2's "Connection lost before handshake": the host took the connection and dropped it (MaxStartups).
      return new AttemptFailure('SSH_CONNECT_REFUSED', 'refused', error.message, error);
    case 'client-authentication':
    case 'agent':
      return new AttemptFailure(
        'SSH_AUTH_REFUSED',
        'refused the login',
        error.message,
        error,
        `${sshAddress(resource)} refused the login with ${credentials.method} (${error.message}); ` +
          `check that its public key is in ~${resource.user}/.ssh/authorized_keys on ${resource.host}`,
      );
    default:
      if (error.code === DISCONNECT_TOO_MANY_CONNECTIONS) {
        return new AttemptFailure('SSH_CONNECT_REFUSED', 'refused', error.message, error);
      }
      if (error.code === DISCONNECT_NO_MORE_AUTH_METHODS) {
        return new AttemptFailure('SSH_AUTH_REFUSED', 'refused the login', error.message, error);
      }
      return new AttemptFailure('SSH_HANDSHAKE_FAILED', 'failed in the SSH handshake', error.message, error);
  }
}

function connectOnce(
  resource: ComputeResource,
  credentials: Credentials,
  signal: AbortSignal,
): Promise<Client> {
  return new Promise<Client>((resolve, reject) => {
    const client = new Client();
    let verdict: HostKeyVerdict | undefined;
    let settled = false;
    const fail = (failure: unknown): void => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      client.destroy();
      reject(failure);
    };
    const onAbort = (): void => fail(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    // These stay for the client's life: after `ready`, its owner listens too, and later events are theirs.
    client.on('error', (error: Ssh2Error) => fail(classify(resource, error, verdict, credentials)));
    client.on('close', () =>
      fail(
        new AttemptFailure('SSH_CONNECT_REFUSED', 'refused', 'closed during the SSH handshake', undefined),
      ),
    );
    client.once('ready', () => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      resolve(client);
    });
    try {
      client.connect({
        host: resource.host,
        port: resource.port,
        username: resource.user,
        ...credentials.auth,
        readyTimeout: resource.connection.connectTimeoutMs,
        keepaliveInterval: resource.connection.keepAliveIntervalMs,
        keepaliveCountMax: 3,
        // Only names from ssh2's own default list come back, so the cast holds.
        algorithms: {
          serverHostKey: preferredHostKeyAlgorithms(credentials.knownKeys) as ServerHostKeyAlgorithm[],
        },
        hostVerifier: (key: Buffer) => {
          verdict = verifyHostKey(key, credentials.knownKeys);
          return verdict.accepted;
        },
      });
    } catch (error) {
      fail(invalid(resource, `cannot connect: ${(error as Error).message}`));
    }
  });
}

/** Waits `ms`, or rejects with the signal's reason as soon as it is aborted. */
async function backoff(ms: number, signal: AbortSignal): Promise<void> {
  try {
    await sleep(ms, undefined, { signal });
  } catch (error) {
    signal.throwIfAborted();
    throw error;
  }
}

/**
 * Opens an SSH connection to `resource` and logs in. Timeouts and refused connections are retried with
 * capped exponential backoff (half of it random) up to `connection.maxAttempts`; a refused login or
 * host key fails at once.
 *
 * @throws {@link SshError} when the attempts are spent, {@link ComputeResourceError} `RESOURCE_INVALID`
 * when the key or known_hosts file cannot be used, the signal's reason when aborted.
 */
export async function connectWithRetry(
  resource: ComputeResource,
  signal: AbortSignal,
  logger: Logger,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Client> {
  const credentials = loadCredentials(resource, env);
  const { maxAttempts, backoffMs, maxBackoffMs } = resource.connection;
  for (let attempt = 1; ; attempt += 1) {
    signal.throwIfAborted();
    try {
      return await connectOnce(resource, credentials, signal);
    } catch (error) {
      if (!(error instanceof AttemptFailure)) throw error;
      if (!error.retryable || attempt >= maxAttempts) throw error.toError(resource, attempt);
      const ceiling = Math.min(maxBackoffMs, backoffMs * 2 ** (attempt - 1));
      const delayMs = Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
      logger.warn(
        { attempt, maxAttempts, delayMs, code: error.code, reason: error.why },
        `SSH connect ${error.what}; retrying`,
      );
      await backoff(delayMs, signal);
    }
  }
}
