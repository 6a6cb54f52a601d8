import { describeIssue } from '@wlm/commons/wire';
import type { WlmConfig } from '@wlm/commons/config';
import { formatHostPort } from '@wlm/commons/net';
import type { z } from 'zod';
import { ApiAnswerInvalidError } from '../errors/api-answer-invalid-error';
import { ApiRequestError } from '../errors/api-request-error';
import { ApiUnreachableError } from '../errors/api-unreachable-error';

export interface ApiRequest {
  method?: 'GET' | 'POST' | 'PUT';
  /** Sent as JSON. */
  json?: unknown;
  /** Sent as it is with this content type (e.g. a YAML DAG definition). */
  text?: { body: string; contentType: string };
}

/** How long one request may take; the API answers in milliseconds unless a store is down. */
const REQUEST_TIMEOUT_MS = 30_000;

/**
 * A client of the orchestrator's REST API for the `wlm` commands: the base URL from config `http`
 * (`WLM_HTTP_HOST`, `WLM_HTTP_PORT`), the first token of `api.tokens` (`WLM_API_TOKEN`).
 *
 * @example
 * ```ts
 * const api = ApiClient.fromConfig(loadConfig());
 * const dags = await api.request<{ items: unknown[] }>('/api/dags');
 * ```
 */
export class ApiClient {
  constructor(
    readonly baseUrl: string,
    private readonly token: string,
  ) {}

  static fromConfig(config: WlmConfig): ApiClient {
    // An orchestrator listening on every interface is reached on the loopback one.
    const host = config.http.host === '0.0.0.0' || config.http.host === '::' ? '127.0.0.1' : config.http.host;
    const token = config.api.tokens[0]?.secret ?? '';
    return new ApiClient(`http://${formatHostPort({ host, port: config.http.port })}`, token);
  }

  /**
   * Sends a request and returns the parsed JSON answer.
   *
   * @throws ApiUnreachableError when nothing answers; ApiRequestError for an error answer.
   */
  async request<T>(path: string, request: ApiRequest = {}): Promise<T> {
    const headers: Record<string, string> = {
      authorization: `Bearer ${this.token}`,
      accept: 'application/json',
    };
    let body: string | undefined;
    if (request.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(request.json);
    } else if (request.text !== undefined) {
      headers['content-type'] = request.text.contentType;
      body = request.text.body;
    }
    let response: Response;
    try {
      response = await fetch(`${this.baseUrl}${path}`, {
        method: request.method ?? (body === undefined ? 'GET' : 'POST'),
        headers,
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
        ...(body === undefined ? {} : { body }),
      });
    } catch (error) {
      throw new ApiUnreachableError(this.baseUrl, error);
    }
    const text = await response.text();
    const parsed = parseJson(text);
    if (response.ok) return parsed as T;
    throw toRequestError(response.status, parsed, text);
  }

  /**
   * `GET path`, checked against the answer's schema: a client of another version of the API says
   * so instead of printing nonsense.
   */
  async get<T>(path: string, schema: z.ZodType<T>): Promise<T> {
    const answer = schema.safeParse(await this.request<unknown>(path));
    if (answer.success) return answer.data;
    const [issue] = answer.error.issues;
    throw new ApiAnswerInvalidError(path, issue === undefined ? 'invalid' : describeIssue(issue));
  }
}

function parseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function toRequestError(status: number, parsed: unknown, text: string): ApiRequestError {
  const error =
    typeof parsed === 'object' && parsed !== null && 'error' in parsed && typeof parsed.error === 'object'
      ? (parsed.error as Record<string, unknown>)
      : undefined;
  const code = typeof error?.['code'] === 'string' ? error['code'] : `HTTP_${status}`;
  const message =
    typeof error?.['message'] === 'string'
      ? error['message']
      : `the orchestrator answered ${status}${text === '' ? '' : `: ${text.slice(0, 200)}`}`;
  const details = Object.fromEntries(
    Object.entries(error ?? {}).filter(([key]) => key !== 'code' && key !== 'message'),
  );
  const hint = status === 401 || status === 403 ? ' (the token is config api.tokens[0], WLM_API_TOKEN)' : '';
  return new ApiRequestError(status, code, `${message}${hint}`, details);
}
