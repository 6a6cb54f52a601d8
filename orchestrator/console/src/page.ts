import type { StreamEvent } from './api.js';

/** What a page gets from the shell: where to draw, the route's parameters, and the live stream. */
export interface PageContext {
  readonly root: HTMLElement;
  /** The route's parameters, e.g. `{ id }` for `#/experiments/:id`. */
  readonly params: Readonly<Record<string, string>>;
  /** The query of the hash route, e.g. `state=RUNNING` in `#/experiments?state=RUNNING`. */
  readonly query: URLSearchParams;
  /** Registers a handler of live changes until the user leaves the page. */
  onChange(handler: (event: StreamEvent) => void): void;
  /** Registers cleanup to run when the user leaves the page (timers, …). */
  onLeave(cleanup: () => void): void;
}

export type Page = (context: PageContext) => void | Promise<void>;

/** Sets the hash route without adding a history entry, e.g. when filters change. */
export function replaceRoute(route: string): void {
  history.replaceState(null, '', `#${route}`);
}
