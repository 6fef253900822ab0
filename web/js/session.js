// Who is using the UI and what they may do. The server decides every
// request; this only hides controls a role cannot use, so nobody is offered
// a button that would be refused.

import { api } from './api.js';

const RANK = { viewer: 1, editor: 2, admin: 3 };

export const session = {
  /** The signed-in user ({id, email, role, createdAt}) or null. */
  user: null,
  /** The role requests act with: the user's, or the server's anonymous role. */
  role: null,
};

export async function loadSession() {
  const { data } = await api.get('/auth/me');
  session.user = data?.user ?? null;
  session.role = session.user?.role ?? data?.anonymousRole ?? null;
  return session;
}

export function signedOut() {
  session.user = null;
  session.role = null;
}

const atLeast = (role) => (RANK[session.role] ?? 0) >= RANK[role];

export const can = {
  view: () => atLeast('viewer'),
  edit: () => atLeast('editor'),
  administer: () => atLeast('admin'),
};

export const ROLE_LABEL = {
  viewer: 'Viewer',
  editor: 'Editor',
  admin: 'Admin',
};

export const ROLE_HELP = {
  viewer: 'can read every project, checklist and task.',
  editor: 'can also create, change and delete projects, checklists and tasks.',
  admin: 'can also manage users and tokens, read the audit log and see backups.',
};
