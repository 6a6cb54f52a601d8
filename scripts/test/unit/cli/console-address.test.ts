import { loadConfig } from '@wlm/commons/config';
import { consoleLines } from '../../../src/cli/console-address';

describe('consoleLines', () => {
  it("gives the console's address and the default token, which every copy of wlm has", () => {
    const config = loadConfig({ env: {} });
    expect(consoleLines(config)).toEqual([
      'wlm is running: web console at http://127.0.0.1:8080/ (sign in with the token wlm-dev-token); API under http://127.0.0.1:8080/api',
    ]);
  });

  it("never prints a token of the user's own, and reaches a wildcard address on the loopback", () => {
    const config = loadConfig({
      env: { WLM_API_TOKEN: 'secret-token-123', WLM_HTTP_HOST: '0.0.0.0', WLM_HTTP_PORT: '9000' },
    });
    const [line] = consoleLines(config);
    expect(line).not.toContain('secret-token-123');
    expect(line).toContain(
      'http://127.0.0.1:9000/ (sign in with a token of config api.tokens (WLM_API_TOKEN))',
    );
  });
});
