/**
 * The console's client of the REST API: the bearer token the user typed, kept for the browser
 * session only (sessionStorage), on every call; errors as the API words them.
 */

const TOKEN_KEY = 'wlm.token';

export function token(): string | null {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function setToken(value: string | null): void {
  if (value === null) sessionStorage.removeItem(TOKEN_KEY);
  else sessionStorage.setItem(TOKEN_KEY, value);
}

/** An error answer of the API: its code, its message and its details (`problems`, `field`, …). */
export class ApiFailure extends Error {
  override readonly name = 'ApiFailure';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown>,
  ) {
    super(message);
  }

  get problems(): string[] {
    const problems = this.details['problems'];
    return Array.isArray(problems) ? problems.map(String) : [];
  }
}

/** Called when the API refuses the token, so the console can ask for another. */
let onUnauthenticated: () => void = () => undefined;
export function whenUnauthenticated(handler: () => void): void {
  onUnauthenticated = handler;
}

function headers(extra: Record<string, string> = {}): Record<string, string> {
  return { authorization: `Bearer ${token() ?? ''}`, accept: 'application/json', ...extra };
}

export async function request<T>(
  path: string,
  options: { method?: string; json?: unknown; text?: { body: string; type: string } } = {},
): Promise<T> {
  const init: RequestInit = { method: options.method ?? 'GET', headers: headers() };
  if (options.json !== undefined) {
    init.method = options.method ?? 'POST';
    init.headers = headers({ 'content-type': 'application/json' });
    init.body = JSON.stringify(options.json);
  } else if (options.text !== undefined) {
    init.headers = headers({ 'content-type': options.text.type });
    init.body = options.text.body;
  }
  let response: Response;
  try {
    response = await fetch(path, init);
  } catch {
    throw new ApiFailure(0, 'UNREACHABLE', 'the orchestrator does not answer', {});
  }
  const body: unknown = await response.json().catch(() => undefined);
  if (response.ok) return body as T;
  const error = (body as { error?: Record<string, unknown> } | undefined)?.error ?? {};
  const { code, message, ...details } = error;
  if (response.status === 401) onUnauthenticated();
  throw new ApiFailure(
    response.status,
    typeof code === 'string' ? code : `HTTP_${response.status}`,
    typeof message === 'string' ? message : `the orchestrator answered ${response.status}`,
    details,
  );
}

export type StreamEvent =
  | { type: 'experiment'; data: { id: string; state: string } & Record<string, unknown> }
  | { type: 'tasks'; data: { experimentId: string } }
  | { type: 'workers'; data: Record<string, never> };

/**
 * Follows `GET /api/stream` (Server-Sent Events) with `fetch`, so the token goes in the header as
 * everywhere else (EventSource cannot send one). Reconnects after a pause when the stream ends;
 * returns the function that stops it.
 */
export function follow(onEvent: (event: StreamEvent) => void, onState: (live: boolean) => void): () => void {
  const controller = new AbortController();
  const run = async (): Promise<void> => {
    while (!controller.signal.aborted) {
      try {
        const response = await fetch('/api/stream', { headers: headers(), signal: controller.signal });
        if (!response.ok || response.body === null) throw new Error(`stream answered ${response.status}`);
        onState(true);
        const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += value;
          let end = buffer.indexOf('\n\n');
          while (end !== -1) {
            const event = parseEvent(buffer.slice(0, end));
            buffer = buffer.slice(end + 2);
            if (event !== undefined) onEvent(event);
            end = buffer.indexOf('\n\n');
          }
        }
      } catch {
        // Dropped or refused: said as "offline" below, and tried again.
      }
      onState(false);
      if (!controller.signal.aborted) await new Promise((resolve) => setTimeout(resolve, 2_000));
    }
  };
  void run();
  return () => controller.abort();
}

function parseEvent(block: string): StreamEvent | undefined {
  let type = 'message';
  let data = '';
  for (const line of block.split('\n')) {
    if (line.startsWith('event: ')) type = line.slice(7);
    else if (line.startsWith('data: ')) data += line.slice(6);
  }
  if (type !== 'experiment' && type !== 'tasks' && type !== 'workers') return undefined;
  try {
    return { type, data: JSON.parse(data) } as StreamEvent;
  } catch {
    return undefined;
  }
}
