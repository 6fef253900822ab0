// Starts the UI: learns who is signed in, draws the top bar, and routes
// paths such as /projects/<id> to their screens with the History API (the
// server answers every such path with this page, so reloads and links work).

import { ConnectionError, api, events } from './api.js';
import { h, icon, replace } from './dom.js';
import { ROLE_LABEL, can, loadSession, session, signedOut } from './session.js';
import { announce, failure, loading } from './ui.js';
import * as dashboard from './views/dashboard.js';
import * as project from './views/project.js';
import * as settings from './views/settings.js';
import * as admin from './views/admin.js';
import * as signin from './views/signin.js';

const main = document.getElementById('main');
const topbar = document.getElementById('topbar');
const banner = document.getElementById('connection');

const ROUTES = [
  [/^\/$/, dashboard],
  [/^\/projects\/([^/]+)\/?$/, project],
  [/^\/settings\/?$/, settings],
  [/^\/admin\/?$/, admin],
  [/^\/signin\/?$/, signin],
];

let generation = 0;
let firstPaint = true;

export function navigate(path, { replace: swap = false } = {}) {
  if (swap) history.replaceState(null, '', path);
  else history.pushState(null, '', path);
  route();
}

const app = {
  navigate,
  setTitle(title) {
    document.title = title ? `${title} · LaunchPad` : 'LaunchPad';
  },
  refreshChrome: () => drawTopbar(),
  signedIn: async () => {
    await loadSession();
    drawTopbar();
  },
};

function notFound() {
  app.setTitle('Not found');
  replace(main, h('div', { class: 'state state-empty' },
    h('p', { class: 'state-title' }, 'There is nothing at this address'),
    h('p', { class: 'state-body' }, 'The page may have moved, or the link is mistyped.'),
    h('a', { class: 'btn', href: '/' }, 'Go to the overview')));
}

async function route() {
  generation += 1;
  const mine = generation;
  const alive = () => mine === generation;
  const path = location.pathname;
  if (!session.role && !path.startsWith('/signin')) {
    const next = encodeURIComponent(path + location.search);
    history.replaceState(null, '', `/signin?next=${next}`);
    return route();
  }
  drawTopbar();
  const match = ROUTES.map(([pattern, view]) => [path.match(pattern), view]).find(([m]) => m);
  if (!match) {
    notFound();
  } else {
    const [[, ...params], view] = match;
    await view.render(main, params.map(decodeURIComponent), { ...app, alive });
  }
  if (!firstPaint && alive()) main.querySelector('h1')?.focus({ preventScroll: false });
  firstPaint = false;
}

function navLink(href, label, iconName) {
  const here = href === '/'
    ? location.pathname === '/' || location.pathname.startsWith('/projects/')
    : location.pathname.startsWith(href);
  return h('a', { href, class: 'nav-link', 'aria-current': here ? 'page' : null }, icon(iconName), h('span', {}, label));
}

function drawTopbar() {
  const brand = h('a', { href: '/', class: 'brand', 'aria-label': 'LaunchPad overview' },
    h('span', { class: 'brand-mark', 'aria-hidden': 'true' }, icon('check', 'icon brand-icon')),
    h('span', { class: 'brand-name' }, 'LaunchPad'));
  if (!session.role) {
    replace(topbar, brand);
    return;
  }
  const nav = h('nav', { class: 'nav', 'aria-label': 'Main' },
    navLink('/', 'Overview', 'list'),
    navLink('/settings', 'Settings', 'sliders'),
    can.administer() ? navLink('/admin', 'Admin', 'shield') : null);
  const who = session.user
    ? h('div', { class: 'account' },
      h('span', { class: 'account-email', title: session.user.email }, session.user.email),
      h('span', { class: `role role-${session.role}`, 'data-testid': 'role' }, ROLE_LABEL[session.role]),
      h('button', { type: 'button', class: 'btn btn-topbar', onclick: signOut }, icon('logout'), h('span', {}, 'Sign out')))
    : h('div', { class: 'account' },
      h('span', { class: `role role-${session.role}` }, `Guest · ${ROLE_LABEL[session.role]}`),
      h('a', { href: '/signin', class: 'btn btn-topbar' }, 'Sign in'));
  replace(topbar, brand, nav, who);
}

async function signOut() {
  try {
    await api.post('/auth/logout');
  } catch (error) {
    if (error instanceof ConnectionError) return;
  }
  signedOut();
  try { sessionStorage.clear(); } catch { /* off */ }
  await loadSession().catch(() => {});
  announce('You are signed out.');
  navigate(session.role ? '/' : '/signin');
}

function showConnection(online) {
  if (online) {
    if (!banner.hidden) announce('Connection restored.');
    banner.hidden = true;
    banner.replaceChildren();
    return;
  }
  banner.replaceChildren(
    icon('wifiOff'),
    h('span', { class: 'connection-text' },
      h('strong', {}, 'You are offline. '),
      'LaunchPad cannot reach the server. Nothing you typed is lost; changes are sent when you try again.'),
    h('button', { type: 'button', class: 'btn btn-small', onclick: () => route() }, 'Retry'));
  banner.hidden = false;
}

events.addEventListener('connection', (e) => showConnection(e.detail.online));
if (!navigator.onLine) showConnection(false);

events.addEventListener('unauthorized', () => {
  if (!session.user) return;
  signedOut();
  announce('Your session has ended. Sign in again.');
  navigate(`/signin?next=${encodeURIComponent(location.pathname)}`);
});

document.addEventListener('click', (event) => {
  const link = event.target.closest('a[href]');
  if (!link || event.defaultPrevented || event.button !== 0) return;
  if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  const url = new URL(link.href, location.href);
  if (url.origin !== location.origin || link.target || link.hasAttribute('download')) return;
  if (url.pathname.startsWith('/api/')) return;
  event.preventDefault();
  if (url.pathname + url.search !== location.pathname + location.search) navigate(url.pathname + url.search);
});

window.addEventListener('popstate', () => route());

async function start() {
  replace(main, loading('LaunchPad'));
  try {
    await loadSession();
  } catch (error) {
    replace(main, failure(error, start));
    return;
  }
  route();
}

start();
