import { DEFAULT_API_TOKEN } from '@wlm/commons/config';
import type { WlmConfig } from '@wlm/commons/config';
import { ApiClient } from '../api-client/api-client';

/** Where the web console is and how to sign in, without printing a token of the user's own. */
export function consoleLines(config: WlmConfig): string[] {
  const url = `${ApiClient.fromConfig(config).baseUrl}/`;
  // The default token is in every copy of wlm, so naming it gives nothing away; any other is a secret.
  const token = config.api.tokens.some((each) => each.secret === DEFAULT_API_TOKEN)
    ? `the token ${DEFAULT_API_TOKEN}`
    : 'a token of config api.tokens (WLM_API_TOKEN)';
  return [`wlm is running: web console at ${url} (sign in with ${token}); API under ${url}api`];
}
