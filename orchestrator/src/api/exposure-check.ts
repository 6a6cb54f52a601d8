import { isIP } from 'node:net';
import { DEFAULT_API_TOKEN } from '@wlm/commons/config';
import { ConfigError } from '@wlm/commons/errors';
import type { ApiToken } from '@wlm/commons/config';

/** Whether `host` is this machine's loopback only: `localhost`, 127.0.0.0/8 or `::1`. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  if (bare === 'localhost') return true;
  if (isIP(bare) === 4) return bare.startsWith('127.');
  return bare === '::1' || bare === '::ffff:127.0.0.1';
}

/**
 * Refuses to serve the API beyond the loopback address with the public default token, which anyone
 * reading the docs knows. Checked before the orchestrator opens anything.
 *
 * @throws ConfigError naming `api.tokens` and what to do.
 */
export function checkExposure(host: string, tokens: readonly ApiToken[]): void {
  if (isLoopbackHost(host)) return;
  const exposed = tokens.find((token) => token.secret === DEFAULT_API_TOKEN);
  if (exposed === undefined) return;
  throw new ConfigError(
    'api.tokens',
    `refusing to serve the API on ${host}, which is not a loopback address, with the public default ` +
      `token "${DEFAULT_API_TOKEN}" (api.tokens, token "${exposed.name}"): set api.tokens in the config ` +
      'file to tokens of your own (docs/orchestrator-api.md, "Tokens and scopes"; a secret from ' +
      '`openssl rand -hex 32`), or WLM_API_TOKEN; or listen on 127.0.0.1 (http.host, WLM_HTTP_HOST)',
  );
}
