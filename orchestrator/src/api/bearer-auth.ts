import { createHash, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { ApiError } from './api-error';

/** Where the auth middleware leaves who called: the audit trail's actor. */
export const ACTOR = 'wlmActor';

/** The actor the auth middleware found for this request (`api:token-1`, …). */
export function actorOf(response: Response): string {
  const actor: unknown = response.locals[ACTOR];
  return typeof actor === 'string' ? actor : 'api';
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/**
 * `Authorization: Bearer <token>` against the configured tokens (config `api.tokens`). Tokens have
 * no names, so the audit trail names the caller by the token's position in the list — never by the
 * token itself. Compared as digests in constant time, so the time taken tells nothing about how
 * much of a guess was right.
 */
export function bearerAuth(tokens: readonly string[]): RequestHandler {
  const known = tokens.map((token, index) => ({ digest: digest(token), actor: `api:token-${index + 1}` }));
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
    const found = known.find((candidate) => timingSafeEqual(candidate.digest, offered));
    if (found === undefined) {
      next(new ApiError(401, 'UNAUTHENTICATED', 'the bearer token is not valid'));
      return;
    }
    response.locals[ACTOR] = found.actor;
    next();
  };
}
