import { follow, request, setToken, token, whenUnauthenticated } from './api.js';
import type { StreamEvent } from './api.js';
import { h, replace } from './dom.js';
import type { Page, PageContext } from './page.js';
import { deadLettersPage } from './pages/dead-letters.js';
import { dagPage, dagsPage } from './pages/dags.js';
import { experimentPage } from './pages/experiment.js';
import { experimentsPage } from './pages/experiments.js';
import { submitPage } from './pages/submit.js';
import { workersPage } from './pages/workers.js';

/** Every route of the console: `#/pattern`, its page, and the tab it belongs to. */
const ROUTES: { pattern: RegExp; keys: string[]; page: Page; tab: string }[] = [
  { pattern: /^\/experiments\/([^/]+)$/, keys: ['id'], page: experimentPage, tab: 'experiments' },
  { pattern: /^\/(?:experiments)?$/, keys: [], page: experimentsPage, tab: 'experiments' },
  { pattern: /^\/workers$/, keys: [], page: workersPage, tab: 'workers' },
  { pattern: /^\/dags\/([^/]+)$/, keys: ['type'], page: dagPage, tab: 'dags' },
  { pattern: /^\/dags$/, keys: [], page: dagsPage, tab: 'dags' },
  { pattern: /^\/submit$/, keys: [], page: submitPage, tab: 'submit' },
  { pattern: /^\/dead-letters$/, keys: [], page: deadLettersPage, tab: 'dead-letters' },
];

const TABS: [string, string][] = [
  ['experiments', 'Experiments'],
  ['workers', 'Workers'],
  ['dags', 'Master DAGs'],
  ['submit', 'Submit'],
  ['dead-letters', 'Dead letters'],
];

const main = h('main', { id: 'view' });
const liveDot = h('span', { class: 'live offline', title: 'live updates' }, 'offline');
const nav = h('nav', { class: 'tabs' });
const header = h(
  'header',
  { class: 'topbar' },
  h('a', { class: 'brand', href: '#/experiments' }, h('span', { class: 'brand-mark' }, 'wlm'), 'console'),
  nav,
  h(
    'div',
    { class: 'topbar-end' },
    liveDot,
    h('button', { class: 'ghost', onclick: () => logout() }, 'Sign out'),
  ),
);

let handlers: ((event: StreamEvent) => void)[] = [];
let cleanups: (() => void)[] = [];
let stopStream: (() => void) | undefined;

function startStream(): void {
  stopStream?.();
  stopStream = follow(
    (event) => handlers.forEach((handler) => handler(event)),
    (live) => {
      liveDot.textContent = live ? 'live' : 'offline';
      liveDot.className = `live ${live ? 'online' : 'offline'}`;
    },
  );
}

async function render(): Promise<void> {
  cleanups.forEach((cleanup) => cleanup());
  cleanups = [];
  handlers = [];
  if (token() === null) {
    showLogin();
    return;
  }
  if (!document.body.contains(header)) document.body.replaceChildren(header, main);
  const [path = '', search = ''] = location.hash.replace(/^#/, '').split('?');
  const route = ROUTES.find((candidate) => candidate.pattern.test(path)) ?? ROUTES[1];
  if (route === undefined) return;
  const match = route.pattern.exec(path) ?? [];
  const params = Object.fromEntries(
    route.keys.map((key, index) => [key, decodeURIComponent(match[index + 1] ?? '')]),
  );
  replace(
    nav,
    TABS.map(([tab, label]) =>
      h('a', { href: `#/${tab}`, class: tab === route.tab ? 'tab active' : 'tab' }, label),
    ),
  );
  const root = h('div', { class: 'page' });
  replace(main, root);
  const context: PageContext = {
    root,
    params,
    query: new URLSearchParams(search),
    onChange: (handler) => handlers.push(handler),
    onLeave: (cleanup) => cleanups.push(cleanup),
  };
  await route.page(context);
}

function showLogin(message?: string): void {
  stopStream?.();
  stopStream = undefined;
  const input = h('input', {
    id: 'token',
    type: 'password',
    autocomplete: 'current-password',
    placeholder: 'API token',
    required: true,
  });
  const error = h('p', { class: 'form-error', role: 'alert' }, message ?? '');
  const form = h(
    'form',
    { class: 'login card' },
    h('div', { class: 'login-brand' }, h('span', { class: 'brand-mark' }, 'wlm'), 'console'),
    h(
      'p',
      { class: 'muted' },
      'Sign in with an API token (config api.tokens, WLM_API_TOKEN). It is kept for this browser session only.',
    ),
    h('label', { for: 'token' }, 'Token'),
    input,
    error,
    h('button', { type: 'submit', class: 'primary' }, 'Sign in'),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    setToken(input.value.trim());
    request('/api/dags')
      .then(() => {
        startStream();
        void render();
      })
      .catch(() => {
        setToken(null);
        error.textContent = 'The orchestrator refused this token.';
      });
  });
  document.body.replaceChildren(h('div', { class: 'login-screen' }, form));
  input.focus();
}

function logout(): void {
  setToken(null);
  showLogin();
}

whenUnauthenticated(() => {
  setToken(null);
  showLogin('The token was refused; sign in again.');
});
window.addEventListener('hashchange', () => void render());
if (token() !== null) startStream();
void render();
