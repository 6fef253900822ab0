// Your account and your API tokens. A new token's secret is shown once,
// right after it is made; afterwards only its name and dates are listed.

import { api } from '../api.js';
import { h, icon } from '../dom.js';
import { ROLE_HELP, ROLE_LABEL, session } from '../session.js';
import {
  announce, confirmDelete, empty, failure, form, loading, pageHeader, repaint, timeEl,
} from '../ui.js';

export async function render(main, _params, app) {
  app.setTitle('Settings');
  const state = { tokens: null, error: null, secret: null };
  const ctx = { state, app };
  ctx.paint = () => repaint(main, () => view(ctx));
  ctx.load = async () => {
    if (!session.user) return;
    try {
      state.tokens = (await api.get('/tokens')).data;
      state.error = null;
    } catch (error) {
      state.error = error;
    }
    if (app.alive()) ctx.paint();
  };
  ctx.paint();
  await ctx.load();
}

function view(ctx) {
  return [
    pageHeader({ title: 'Settings', subtitle: 'Your account and the API tokens that act for you.' }),
    account(),
    session.user ? tokens(ctx) : null,
  ];
}

function account() {
  const role = session.role;
  return h('section', { class: 'card', 'aria-labelledby': 'account-heading' },
    h('h2', { id: 'account-heading', class: 'card-title' }, 'Account'),
    session.user
      ? h('dl', { class: 'facts' },
        h('div', {}, h('dt', {}, 'Email'), h('dd', {}, session.user.email)),
        h('div', {}, h('dt', {}, 'Role'), h('dd', {},
          h('span', { class: `role role-${role}` }, ROLE_LABEL[role]), ' ', h('span', { class: 'muted' }, `An ${ROLE_LABEL[role].toLowerCase()} ${ROLE_HELP[role]}`))),
        h('div', {}, h('dt', {}, 'Member since'), h('dd', {}, timeEl(session.user.createdAt))))
      : h('p', {}, `You are browsing as a guest with the ${ROLE_LABEL[role].toLowerCase()} role. `,
        h('a', { href: '/signin?next=/settings' }, 'Sign in'), ' to manage API tokens.'));
}

function tokens(ctx) {
  const { state } = ctx;
  const body = state.error
    ? failure(state.error, () => ctx.load())
    : !state.tokens
      ? loading('your tokens')
      : state.tokens.length
        ? tokenTable(ctx)
        : empty({ iconName: 'key', title: 'No API tokens yet', body: 'Create one for a script or a CI job.' });
  return h('section', { class: 'card', 'aria-labelledby': 'tokens-heading' },
    h('h2', { id: 'tokens-heading', class: 'card-title', tabindex: '-1' }, 'API tokens'),
    h('p', { class: 'muted' }, 'Send a token as ', h('code', {}, 'Authorization: Bearer lp_…'),
      session.role === 'admin' ? '. It acts with its owner’s role. As an admin you see every user’s tokens.' : '. It acts with your role.'),
    state.secret ? secretBox(ctx) : null,
    form({
      key: 'new-token',
      layout: 'inline',
      className: 'form-labelled',
      submit: 'Create token',
      reset: true,
      fields: [{ name: 'name', label: 'Token name', placeholder: 'e.g. ci deploy' }],
      onSubmit: async (values) => (await api.post('/tokens', { name: values.name })).data,
      onDone: async (created) => {
        state.secret = created;
        await ctx.load();
        document.getElementById('token-secret')?.focus();
      },
    }),
    body);
}

function secretBox(ctx) {
  const { secret } = ctx.state;
  const input = h('input', {
    id: 'token-secret', class: 'secret-value', readonly: true, value: secret.token, 'aria-describedby': 'token-secret-help',
    onfocus: (e) => e.target.select(),
  });
  return h('div', { class: 'notice notice-success secret', role: 'status' },
    h('div', { class: 'secret-head' }, icon('key'), h('strong', {}, `Token “${secret.name}” created`)),
    h('p', { id: 'token-secret-help' }, 'Copy it now: it is shown only this once and cannot be recovered.'),
    h('div', { class: 'secret-row' },
      h('label', { for: 'token-secret', class: 'visually-hidden' }, 'Token secret'),
      input,
      h('button', {
        type: 'button', class: 'btn',
        onclick: async () => {
          try {
            await navigator.clipboard.writeText(secret.token);
            announce('Token copied.');
          } catch {
            input.select();
            announce('Select the token and copy it.');
          }
        },
      }, icon('copy'), 'Copy'),
      h('button', {
        type: 'button', class: 'btn btn-quiet',
        onclick: () => { ctx.state.secret = null; ctx.paint(); },
      }, 'Done')));
}

function tokenTable(ctx) {
  const mine = (t) => t.userId === session.user.id;
  return h('div', { class: 'table-wrap' }, h('table', { class: 'table' },
    h('caption', { class: 'visually-hidden' }, 'Your API tokens'),
    h('thead', {}, h('tr', {},
      h('th', { scope: 'col' }, 'Name'),
      h('th', { scope: 'col' }, 'Created'),
      h('th', { scope: 'col' }, 'Last used'),
      h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, 'Actions')))),
    h('tbody', {}, ctx.state.tokens.map((t) => h('tr', {},
      h('td', {}, h('strong', {}, t.name), mine(t) ? null : h('span', { class: 'muted small block' }, 'another user’s')),
      h('td', {}, timeEl(t.createdAt)),
      h('td', {}, t.lastUsedAt ? timeEl(t.lastUsedAt) : h('span', { class: 'muted' }, 'Never')),
      h('td', { class: 'cell-actions' }, h('button', {
        type: 'button', class: 'btn btn-quiet btn-small btn-danger-quiet',
        'aria-label': `Revoke token ${t.name}`,
        onclick: () => revoke(ctx, t),
      }, icon('trash'), 'Revoke')))))));
}

async function revoke(ctx, t) {
  const sure = await confirmDelete({
    title: `Revoke the token “${t.name}”?`,
    body: 'Anything still using it is refused from now on. This cannot be undone.',
    action: 'Revoke token',
  });
  if (!sure) return;
  try {
    await api.del(`/tokens/${encodeURIComponent(t.id)}`);
    announce(`Revoked ${t.name}.`);
  } catch (error) {
    announce(`Not revoked: ${error.message}`);
  }
  await ctx.load();
  document.getElementById('tokens-heading')?.focus();
}
