// Signing in with email and password. The server sets an HttpOnly session
// cookie; the UI never sees or stores a credential.

import { api } from '../api.js';
import { h, icon } from '../dom.js';
import { session } from '../session.js';
import { form } from '../ui.js';

function nextPath() {
  const next = new URLSearchParams(location.search).get('next') ?? '/';
  // Only a path on this site, never another origin.
  return next.startsWith('/') && !next.startsWith('//') && !next.startsWith('/signin') ? next : '/';
}

export async function render(main, _params, app) {
  app.setTitle('Sign in');
  if (session.user) {
    app.navigate(nextPath(), { replace: true });
    return;
  }
  const signIn = form({
    key: 'signin',
    submit: 'Sign in',
    className: 'signin-form',
    fields: [
      { name: 'email', label: 'Email', type: 'email', autocomplete: 'username', autofocus: true, spellcheck: 'false' },
      { name: 'password', label: 'Password', type: 'password', autocomplete: 'current-password' },
    ],
    onSubmit: (values) => api.post('/auth/login', { email: values.email.trim(), password: values.password }),
    onDone: async () => {
      await app.signedIn();
      app.navigate(nextPath(), { replace: true });
    },
  });
  main.replaceChildren(h('div', { class: 'signin' },
    h('div', { class: 'card signin-card' },
      h('div', { class: 'signin-brand', 'aria-hidden': 'true' }, icon('check', 'icon brand-icon')),
      h('h1', { class: 'signin-title', tabindex: '-1' }, 'Sign in to LaunchPad'),
      h('p', { class: 'muted' }, 'Track how ready your software is for production.'),
      signIn,
      h('p', { class: 'muted small signin-help' },
        'No account? An admin adds one with ', h('code', {}, 'launchpad user add'), '.')),
    session.role ? h('p', { class: 'center' }, h('a', { href: '/' }, 'Continue without signing in')) : null));
  main.querySelector('input')?.focus();
}
