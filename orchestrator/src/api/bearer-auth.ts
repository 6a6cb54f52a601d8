import { createHash, timingSafeEqual } from 'node:crypto';
import { scopeAllows } from '@wlm/commons/config';
import type { ApiToken } from '@wlm/commons/config';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { ApiError } from './api-error';
import { scopeFor } from './route-scopes';

/** Where the auth middleware leaves who called: the audit trail's actor. */
export const ACTOR = 'wlmActor';

/** The actor the auth middleware found for this request (`api:<token name>`). */
export function actorOf(response: Response): string {
  const actor: unknown = response.locals[ACTOR];
  return typeof actor === 'string' ? actor : 'api';
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/**
 * `Authorization: Bearer <secret>` against the configured tokens (config `api.tokens`), then the
 * token's scopes against what the route needs (route-scopes.ts): 401 for no or an unknown token,
 * 403 naming the missing scope. The audit trail names the caller by the token's name, never its
 * secret. Secrets are compared as digests in constant time, so the time taken tells nothing about
 * how much of a guess was right.
 */
export function bearerAuth(tokens: readonly ApiToken[]): RequestHandler {
  const known = tokens.map((token) => ({ token, digest: digest(token.secret) }));
  return (request: Request, response: Response, next: NextFunction) => {
    const header = request.get('authorization');
    const match = header === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (match?.[1] === undefined) {
      next(
        new ApiError(
          401,
          'UNAUTHENTICATED',
          'missing bearer token: send "Authorization: Bearer <token>" (config api.tokens, WLM_API_TOKEN)',
        ),
      );
      return;
    }
    const offered = digest(match[1]);
    const found = known.find((candidate) => timingSafeEqual(candidate.digest, offered))?.token;
    if (found === undefined) {
      next(new ApiError(401, 'UNAUTHENTICATED', 'the bearer token is not valid'));
      return;
    }
    const { scope, route } = scopeFor(request.method, request.path);
    if (!scopeAllows(found.scopes, scope)) {
      next(
        new ApiError(
          403,
          'FORBIDDEN',
          `token "${found.name}" lacks the scope "${scope}" that ${route} needs ` +
            `(it has ${found.scopes.join(', ')}); use a token with "${scope}" (config api.tokens)`,
          { scope },
        ),
      );
      return;
    }
    response.locals[ACTOR] = `api:${found.name}`;
    next();
  };
}
