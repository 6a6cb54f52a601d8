import { z } from 'zod';

/**
 * What a token may do. They nest: `admin` includes `submit`, which includes `read`. `read` sees
 * DAGs, experiments and their audit; `submit` creates, cancels, reruns and resumes experiments;
 * `admin` puts DAGs and runs the installation (dead letters, workers).
 */
export const API_SCOPES = ['read', 'submit', 'admin'] as const;
export type ApiScope = (typeof API_SCOPES)[number];

/** The token of a fresh installation: public, so only good on a loopback address. */
export const DEFAULT_API_TOKEN = 'wlm-dev-token';

const TOKEN_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/** One named token as written in the config file. */
const namedTokenSchema = z.strictObject({
  /** Shown in the audit trail (`api:<name>`) and the logs; the secret never is. */
  name: z
    .string()
    .regex(TOKEN_NAME, 'expected a token name of letters, digits, "_", "." and "-", such as "ci"'),
  /** What the client sends as `Authorization: Bearer <secret>`. */
  secret: z.string().min(8, 'a token secret needs at least 8 characters (e.g. `openssl rand -hex 32`)'),
  scopes: z
    .array(z.enum(API_SCOPES, { error: `expected scopes among ${API_SCOPES.join(', ')}` }))
    .min(1, 'give the token at least one scope (read, submit or admin)'),
});

/** A configured API token, scopes as written. */
export type ApiToken = z.infer<typeof namedTokenSchema>;

/**
 * `api.tokens`: named tokens with scopes, or — the format before names, and what `WLM_API_TOKEN`
 * gives — plain secrets, each a token named `token-<position>` with every scope, as before.
 */
export const apiTokensSchema = z
  .array(z.unknown())
  .min(1)
  .default([DEFAULT_API_TOKEN])
  // A plain secret becomes a named token first, so both forms are checked by one schema.
  .transform((entries) =>
    entries.map((entry, index) =>
      typeof entry === 'string' ? { name: `token-${index + 1}`, secret: entry, scopes: ['admin'] } : entry,
    ),
  )
  .pipe(z.array(namedTokenSchema))
  .check((ctx) => {
    const names = new Set<string>();
    const secrets = new Set<string>();
    ctx.value.forEach((token, index) => {
      if (names.has(token.name)) {
        ctx.issues.push({
          code: 'custom',
          input: token,
          path: [index, 'name'],
          message: `token name "${token.name}" is used twice`,
        });
      }
      if (secrets.has(token.secret)) {
        ctx.issues.push({
          code: 'custom',
          input: token,
          path: [index, 'secret'],
          message: `token "${token.name}" has the secret of another token: give each its own`,
        });
      }
      names.add(token.name);
      secrets.add(token.secret);
    });
  });

/** Whether `granted` scopes allow what `needed` asks, `admin` including `submit` including `read`. */
export function scopeAllows(granted: readonly ApiScope[], needed: ApiScope): boolean {
  const rank = API_SCOPES.indexOf(needed);
  return granted.some((scope) => API_SCOPES.indexOf(scope) >= rank);
}
