import { apiTokensSchema, loadConfig, scopeAllows } from '@wlm/commons/config';
import { ConfigError } from '@wlm/commons/errors';

describe('api.tokens', () => {
  it('reads plain secrets as before: tokens named by position, with every scope', () => {
    expect(apiTokensSchema.parse(['first-secret', 'second-secret'])).toEqual([
      { name: 'token-1', secret: 'first-secret', scopes: ['admin'] },
      { name: 'token-2', secret: 'second-secret', scopes: ['admin'] },
    ]);
    expect(
      loadConfig({ env: { WLM_API_TOKEN: 'one-secret,two-secret' } }).api.tokens.map((t) => t.name),
    ).toEqual(['token-1', 'token-2']);
  });

  it('defaults to the public development token', () => {
    expect(loadConfig({ env: {} }).api.tokens).toEqual([
      { name: 'token-1', secret: 'wlm-dev-token', scopes: ['admin'] },
    ]);
  });

  it('reads named tokens with scopes, beside plain ones', () => {
    expect(
      apiTokensSchema.parse([{ name: 'ci', secret: 'ci-secret-0123', scopes: ['submit'] }, 'legacy-secret']),
    ).toEqual([
      { name: 'ci', secret: 'ci-secret-0123', scopes: ['submit'] },
      { name: 'token-2', secret: 'legacy-secret', scopes: ['admin'] },
    ]);
  });

  it.each([
    [
      [{ name: 'ci', secret: 'ci-secret-0123', scopes: ['write'] }],
      /expected scopes among read, submit, admin/,
    ],
    [[{ name: 'ci', secret: 'ci-secret-0123', scopes: [] }], /at least one scope/],
    [[{ name: '-ci', secret: 'ci-secret-0123', scopes: ['read'] }], /expected a token name/],
    [[{ name: 'ci', secret: 'short', scopes: ['read'] }], /at least 8 characters/],
    [
      [
        { name: 'ci', secret: 'ci-secret-0123', scopes: ['read'] },
        { name: 'ci', secret: 'ci-secret-4567', scopes: ['read'] },
      ],
      /token name "ci" is used twice/,
    ],
    [
      [
        { name: 'a', secret: 'same-secret-0', scopes: ['read'] },
        { name: 'b', secret: 'same-secret-0', scopes: ['admin'] },
      ],
      /token "b" has the secret of another token/,
    ],
  ])('refuses %j', (tokens, message) => {
    const file = { api: { tokens } };
    const result = apiTokensSchema.safeParse(file.api.tokens);
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((issue) => issue.message).join('; ')).toMatch(message);
  });

  it('nests scopes: admin includes submit, which includes read', () => {
    expect(scopeAllows(['admin'], 'read')).toBe(true);
    expect(scopeAllows(['submit'], 'read')).toBe(true);
    expect(scopeAllows(['submit'], 'admin')).toBe(false);
    expect(scopeAllows(['read'], 'submit')).toBe(false);
  });

  it('names the key of a bad token when loading the config', () => {
    expect(() => loadConfig({ env: { WLM_API_TOKEN: 'short' } })).toThrow(ConfigError);
  });
});
