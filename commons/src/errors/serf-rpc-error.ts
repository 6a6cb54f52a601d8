import { WlmError } from './wlm-error';

/**
 * Why a Serf agent refused or failed an RPC, decoded from the agent's error text once so callers can
 * branch on a value instead of matching strings.
 *
 * - `auth-required` / `invalid-auth-token`: the agent has an RPC auth key and we sent none or the wrong one.
 * - `tags-too-large`: the tags would exceed Serf's 512-byte limit per member.
 * - `invalid-filter`, `stream-exists`, `handshake-required`, `duplicate-handshake`,
 *   `unsupported-command`, `unsupported-ipc-version`: protocol misuse; a bug in the client if seen.
 * - `invalid-request`: rejected by the client before sending, because the agent would drop the
 *   connection on it (e.g. a filter regex Go cannot compile).
 * - `malformed-response`: the agent answered something this client cannot decode.
 * - `agent-error`: any other failure the agent reports (e.g. a join that reached no node).
 */
export type SerfRpcErrorKind =
  | 'auth-required'
  | 'invalid-auth-token'
  | 'tags-too-large'
  | 'invalid-filter'
  | 'stream-exists'
  | 'handshake-required'
  | 'duplicate-handshake'
  | 'unsupported-command'
  | 'unsupported-ipc-version'
  | 'invalid-request'
  | 'malformed-response'
  | 'agent-error';

/**
 * A Serf agent answered an RPC with an error. `code` is `SERF_AUTH_FAILED` for the two auth kinds (a
 * configuration problem: fix `serf.rpcAuthKey`), `SERF_RPC_ERROR` otherwise. A failed `join` is
 * retryable because the node it names may simply not be up yet; everything else is permanent.
 */
export class SerfRpcError extends WlmError {
  override readonly name = 'SerfRpcError';

  constructor(
    /** The RPC command that failed, e.g. `members` or `join`. */
    readonly command: string,
    readonly kind: SerfRpcErrorKind,
    /** The agent's own text (or the client's reason for `invalid-request`/`malformed-response`). */
    readonly agentMessage: string,
    options: { cause?: unknown } = {},
  ) {
    const auth = kind === 'auth-required' || kind === 'invalid-auth-token';
    super(auth ? 'SERF_AUTH_FAILED' : 'SERF_RPC_ERROR', describe(command, kind, agentMessage), {
      cause: options.cause,
      retryable: command === 'join' && kind === 'agent-error',
    });
  }
}

function describe(command: string, kind: SerfRpcErrorKind, agentMessage: string): string {
  const text = agentMessage.trim();
  switch (kind) {
    case 'auth-required':
      return `Serf agent requires an RPC auth key for '${command}': set serf.rpcAuthKey (WLM_SERF_RPC_AUTH_KEY)`;
    case 'invalid-auth-token':
      return `Serf agent rejected the RPC auth key: check serf.rpcAuthKey against the agent's rpc_auth`;
    case 'tags-too-large':
      return `Serf agent refused the tags: ${text} (keep the advertisement compact)`;
    default:
      return `Serf RPC '${command}' failed: ${text}`;
  }
}
