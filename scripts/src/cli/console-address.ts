import type { WlmConfig } from '@wlm/commons';
import { ApiClient } from '../api-client/api-client';

/** The config's default token, the only one worth printing: it is in every copy of wlm anyway. */
const DEV_TOKEN = 'wlm-dev-token';

/** Where the web console is and how to sign in, without printing a token of the user's own. */
export function consoleLines(config: WlmConfig): string[] {
  const url = `${ApiClient.fromConfig(config).baseUrl}/`;
  const token = config.api.tokens.includes(DEV_TOKEN)
    ? `the token ${DEV_TOKEN}`
    : 'a token of config api.tokens (WLM_API_TOKEN)';
  return [`wlm is running: web console at ${url} (sign in with ${token}); API under ${url}api`];
}
