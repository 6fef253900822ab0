// What only admins see: whether backups are fresh, who has an account, the
// checklist templates editors saved (which only admins delete), and the
// audit log of sign-ins, deletes and key and account changes.

import { ApiError, api, paths } from '../api.js';
import { h, icon } from '../dom.js';
import { ROLE_LABEL, can, session } from '../session.js';
import {
  announce, badge, confirmDelete, empty, failure, form, formatTime, loading, pageHeader, repaint, timeEl,
} from '../ui.js';

const AUDIT_PAGE = 25;

export async function render(main, _params, app) {
  app.setTitle('Admin');
  if (!can.administer()) {
    main.replaceChildren(pageHeader({ title: 'Admin' }), empty({
      iconName: 'shield',
      title: 'This page is for admins',
      body: 'Your role does not include administration. Ask an admin if you need access.',
      action: h('a', { class: 'btn', href: '/' }, 'Back to the overview'),
    }));
    return;
  }
  const state = { backup: undefined, users: null, templates: null, audit: null, next: null, errors: {} };
  const ctx = { state, app };
  ctx.paint = () => repaint(main, () => view(ctx));
  ctx.loadUsers = () => settle('users', async () => { state.users = (await api.get('/users')).data; });
  ctx.loadTemplates = () => settle('templates', async () => { state.templates = (await api.get(paths.templates)).data; });
  ctx.loadBackup = () => settle('backup', async () => {
    try {
      state.backup = (await api.get('/backups/status')).data;
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 404)) throw error;
      state.backup = null;
    }
  });
  ctx.loadAudit = (more = false) => settle('audit', async () => {
    const cursor = more && state.next ? `&cursor=${encodeURIComponent(state.next)}` : '';
    const page = await api.get(`/audit?limit=${AUDIT_PAGE}${cursor}`);
    state.audit = more ? [...state.audit, ...page.data] : page.data;
    state.next = page.next;
  });
  async function settle(part, work) {
    try {
      await work();
      delete state.errors[part];
    } catch (error) {
      state.errors[part] = error;
    }
    if (app.alive()) ctx.paint();
  }
  ctx.paint();
  await Promise.all([ctx.loadBackup(), ctx.loadUsers(), ctx.loadTemplates(), ctx.loadAudit()]);
}

function view(ctx) {
  return [
    pageHeader({ title: 'Admin', subtitle: 'Backups, accounts and the audit trail.' }),
    h('div', { class: 'admin-grid' }, backup(ctx), users(ctx)),
    templates(ctx),
    audit(ctx),
  ];
}

function section(id, title, iconName, ...body) {
  return h('section', { class: 'card', 'aria-labelledby': id },
    h('h2', { id, class: 'card-title', tabindex: '-1' }, icon(iconName), title), ...body);
}

function bytes(n) {
  const units = ['B', 'KB', 'MB', 'GB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i += 1; }
  return `${n.toFixed(i ? 1 : 0)} ${units[i]}`;
}

function backup(ctx) {
  const { state } = ctx;
  const status = state.backup;
  let body;
  if (state.errors.backup) body = failure(state.errors.backup, () => ctx.loadBackup());
  else if (status === undefined) body = loading('backup status');
  else if (status === null) body = h('p', { class: 'muted' }, 'This server does not report backup status.');
  else {
    const last = status.lastBackup;
    body = [
      h('p', { class: 'backup-state' },
        backupBadge(status),
        h('span', { class: 'muted' }, status.maxAgeHours
          ? `Policy: a backup at least every ${status.maxAgeHours} hours.`
          : 'No freshness policy is set.')),
      last
        ? h('dl', { class: 'facts' },
          h('div', {}, h('dt', {}, 'Last backup'), h('dd', {}, timeEl(last.at, `${formatTime(last.at)}`))),
          h('div', {}, h('dt', {}, 'Size'), h('dd', {}, bytes(last.sizeBytes))),
          h('div', {}, h('dt', {}, 'Took'), h('dd', {}, `${(last.durationMs / 1000).toFixed(1)} s`)),
          h('div', {}, h('dt', {}, 'SHA-256'), h('dd', {}, h('code', { class: 'hash', title: last.sha256 }, last.sha256.slice(0, 16) + '…'))))
        : h('p', {}, 'No backup has been taken. Run ', h('code', {}, 'launchpad backup --out DIR'), ' or enable the backup timer.'),
    ];
  }
  return section('backup-heading', 'Backups', 'database', body);
}

function backupBadge(status) {
  if (!status.lastBackup) return badge('No backup yet', status.maxAgeHours ? 'badge-danger' : '');
  return status.fresh ? badge('Fresh', 'badge-success') : badge('Stale', 'badge-danger');
}

function users(ctx) {
  const { state } = ctx;
  let list;
  if (state.errors.users) list = failure(state.errors.users, () => ctx.loadUsers());
  else if (!state.users) list = loading('users');
  else {
    list = h('ul', { class: 'user-list' }, state.users.map((user) => h('li', { class: 'user' },
      h('span', { class: 'user-email' }, user.email),
      h('span', { class: `role role-${user.role}` }, ROLE_LABEL[user.role]),
      user.id === session.user?.id
        ? h('span', { class: 'muted small' }, 'You')
        : h('button', {
          type: 'button', class: 'btn btn-quiet btn-small btn-danger-quiet',
          'aria-label': `Delete user ${user.email}`,
          onclick: () => deleteUser(ctx, user),
        }, icon('trash'), h('span', { class: 'label-wide' }, 'Delete')))));
  }
  return section('users-heading', 'Users', 'user', list, h('details', { class: 'disclosure' },
    h('summary', {}, 'Add a user'),
    form({
      key: 'new-user',
      submit: 'Add user',
      reset: true,
      fields: [
        { name: 'email', label: 'Email', type: 'email', autocomplete: 'off' },
        { name: 'role', label: 'Role', type: 'select', value: 'viewer', options: [['viewer', 'Viewer'], ['editor', 'Editor'], ['admin', 'Admin']] },
        { name: 'password', label: 'Initial password', type: 'password', autocomplete: 'new-password', hint: 'At least 12 characters, not a common one.' },
      ],
      onSubmit: (values) => api.post('/users', values),
      onDone: async () => {
        await ctx.loadUsers();
        announce('User added.');
      },
    })));
}

async function deleteUser(ctx, user) {
  const sure = await confirmDelete({
    title: `Delete the account ${user.email}?`,
    body: 'Their sessions and API tokens end at once. This cannot be undone.',
    action: 'Delete user',
  });
  if (!sure) return;
  try {
    await api.del(`/users/${encodeURIComponent(user.id)}`);
    announce(`Deleted ${user.email}.`);
  } catch (error) {
    announce(`Not deleted: ${error.message}`);
  }
  await ctx.loadUsers();
  document.getElementById('users-heading')?.focus();
}

/** The saved templates; the built-in ones cannot be deleted, so they are not listed. */
function templates(ctx) {
  const { state } = ctx;
  let body;
  if (state.errors.templates) body = failure(state.errors.templates, () => ctx.loadTemplates());
  else if (!state.templates) body = loading('templates');
  else {
    const saved = state.templates.filter((t) => !t.builtIn);
    body = saved.length
      ? h('ul', { class: 'user-list' }, saved.map((t) => h('li', { class: 'user', dataset: { template: t.name } },
        h('span', { class: 'user-email' }, t.name),
        h('span', { class: 'muted small nowrap' }, `${t.tasks.length} task${t.tasks.length === 1 ? '' : 's'}`),
        h('button', {
          type: 'button', class: 'btn btn-quiet btn-small btn-danger-quiet',
          'aria-label': `Delete template ${t.name}`,
          onclick: () => deleteTemplate(ctx, t),
        }, icon('trash'), h('span', { class: 'label-wide' }, 'Delete')))))
      : h('p', { class: 'muted' }, 'No saved templates. Editors save one from a checklist with “Save as template”; the built-in templates are always there.');
  }
  return section('templates-heading', 'Saved templates', 'copy', body);
}

async function deleteTemplate(ctx, template) {
  const sure = await confirmDelete({
    title: `Delete the template “${template.name}”?`,
    body: 'Checklists already made from it keep their tasks. This cannot be undone.',
    action: 'Delete template',
  });
  if (!sure) return;
  try {
    await api.del(paths.template(template.id));
    announce(`Deleted the template ${template.name}.`);
  } catch (error) {
    announce(`Not deleted: ${error.message}`);
  }
  await ctx.loadTemplates();
  document.getElementById('templates-heading')?.focus();
}

/** `user:<id>` as the user's email when known, `token:<id>` shortened. */
function who(ctx, ref) {
  if (!ref) return '—';
  const [kind, id] = ref.split(':');
  if (!id) return ref;
  if (kind === 'user') return ctx.state.users?.find((u) => u.id === id)?.email ?? `user ${id.slice(0, 8)}…`;
  return `${kind} ${id.slice(0, 8)}…`;
}

function audit(ctx) {
  const { state } = ctx;
  let body;
  if (state.errors.audit && !state.audit) body = failure(state.errors.audit, () => ctx.loadAudit());
  else if (!state.audit) body = loading('the audit log');
  else if (!state.audit.length) body = empty({ iconName: 'shield', title: 'Nothing audited yet' });
  else {
    body = [h('div', { class: 'table-wrap' }, h('table', { class: 'table table-audit' },
      h('caption', { class: 'visually-hidden' }, 'Audit log, newest first'),
      h('thead', {}, h('tr', {},
        ['When', 'Who', 'Action', 'Target', 'Client'].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, state.audit.map((e) => h('tr', {},
        h('td', { class: 'nowrap' }, timeEl(e.at, formatTime(e.at))),
        h('td', {}, who(ctx, e.actor)),
        h('td', {}, h('code', { class: e.action.includes('failure') ? 'text-danger' : '' }, e.action)),
        h('td', { class: 'muted break', title: e.target ?? '' }, who(ctx, e.target)),
        h('td', { class: 'muted nowrap' }, e.clientIp ?? '—')))))),
    state.next ? h('div', { class: 'table-more' }, h('button', {
      type: 'button', class: 'btn', dataset: { key: 'audit-more' },
      onclick: () => ctx.loadAudit(true),
    }, 'Load older entries')) : null];
  }
  return section('audit-heading', 'Audit log', 'shield', body);
}
