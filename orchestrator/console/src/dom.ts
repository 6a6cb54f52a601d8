/** A few helpers to build the DOM without a framework. */

type Child = Node | string | number | null | undefined | false;
/** Children may come in (nested) lists, as `map` makes them. */
type Children = Child | readonly Children[];
type Attributes = Record<string, string | number | boolean | EventListener | null | undefined>;

/**
 * `h('a', { href: '#/x', class: 'link' }, 'text')`. Attributes starting with `on` are listeners;
 * `false`, `null` and `undefined` attributes and children are left out. Text is never parsed as HTML.
 */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Attributes = {},
  ...children: Children[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') {
      element.addEventListener(name.slice(2), value);
    } else {
      element.setAttribute(name, value === true ? '' : String(value));
    }
  }
  append(element, children);
  return element;
}

function append(element: Element, children: readonly Children[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(element, child as readonly Children[]);
    else element.append(child instanceof Node ? child : String(child));
  }
}

/** Replaces the children of `element`. */
export function replace(element: Element, ...children: Children[]): void {
  element.replaceChildren();
  append(element, children);
}

/** The state as a coloured pill (colours in styles.css, one per state, the same everywhere). */
export function stateBadge(state: string): HTMLSpanElement {
  return h('span', { class: `badge state-${state.toLowerCase()}`, 'data-state': state }, state);
}

/** `12 s ago`, `5 min ago`, `3 h ago`, or the date for anything older than a day. */
export function ago(iso: string | null, now = Date.now()): string {
  if (iso === null) return '—';
  const seconds = Math.round((now - Date.parse(iso)) / 1000);
  if (seconds < 5) return 'just now';
  if (seconds < 60) return `${seconds} s ago`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)} h ago`;
  return iso.slice(0, 10);
}

/** `850 ms`, `4.2 s`, `3 min 05 s`, `2 h 07 min`. */
export function duration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const minutes = Math.floor(ms / 60_000);
  if (minutes < 60) return `${minutes} min ${String(Math.floor((ms % 60_000) / 1000)).padStart(2, '0')} s`;
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')} min`;
}

/** From `startedAt` to `endedAt` (or now, while it runs). */
export function elapsed(startedAt: string | null, endedAt: string | null): string {
  if (startedAt === null) return '—';
  return duration((endedAt === null ? Date.now() : Date.parse(endedAt)) - Date.parse(startedAt));
}

/** `2026-12-03 07:08:09` in the browser's time zone. */
export function clock(iso: string | null): string {
  if (iso === null) return '—';
  const date = new Date(iso);
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}

/** A message in place of content: loading, empty, or an error. */
export function notice(text: string, kind: 'muted' | 'error' = 'muted'): HTMLDivElement {
  return h('div', { class: `notice notice-${kind}` }, text);
}

/** A small toast at the bottom right, gone after a few seconds. */
export function toast(text: string, kind: 'ok' | 'error' = 'ok'): void {
  const element = h('div', { class: `toast toast-${kind}`, role: 'status' }, text);
  document.body.append(element);
  setTimeout(() => element.remove(), 4_000);
}
