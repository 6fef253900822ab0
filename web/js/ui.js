// Pieces every screen shares: progress bars, status labels, dates, forms
// that keep what was typed and show server errors beside their fields, the
// delete confirmation dialog, and loading, empty and error states.

import { ApiError, ConnectionError } from './api.js';
import { append, h, icon, uid } from './dom.js';

// ---------------------------------------------------------------- statuses

export const STATUS = {
  pending: { label: 'Pending', next: 'in_progress' },
  in_progress: { label: 'In progress', next: 'done' },
  done: { label: 'Done', next: 'pending' },
};

/** Today as YYYY-MM-DD in the user's time zone. */
export function today() {
  const now = new Date();
  const pad = (n) => String(n).padStart(2, '0');
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
}

export function isOverdue(task) {
  return Boolean(task.dueDate) && task.status !== 'done' && task.dueDate < today();
}

/** Task counts by status over a list of tasks. */
export function tally(tasks) {
  const counts = { total: 0, pending: 0, inProgress: 0, done: 0, overdue: 0 };
  const now = today();
  for (const task of tasks) {
    counts.total += 1;
    if (task.status === 'done') counts.done += 1;
    else if (task.status === 'in_progress') counts.inProgress += 1;
    else counts.pending += 1;
    if (task.dueDate && task.status !== 'done' && task.dueDate < now) counts.overdue += 1;
  }
  return counts;
}

export const tasksOf = (project) => project.checklists.flatMap((c) => c.tasks);

export function percent(done, total) {
  return total ? Math.round((done * 100) / total) : 0;
}

// ------------------------------------------------------------------ dates

const dateFormat = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short', year: 'numeric' });
const timeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const relative = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });

/** '2026-12-31' as a local calendar date. */
export function formatDay(day) {
  const [y, m, d] = day.split('-').map(Number);
  return dateFormat.format(new Date(y, m - 1, d));
}

export function formatTime(iso) {
  return timeFormat.format(new Date(iso));
}

export function ago(iso) {
  const seconds = (new Date(iso).getTime() - Date.now()) / 1000;
  const steps = [[60, 'second'], [60, 'minute'], [24, 'hour'], [30, 'day'], [12, 'month'], [Infinity, 'year']];
  let value = seconds;
  for (const [size, unit] of steps) {
    if (Math.abs(value) < size) return relative.format(Math.round(value), unit);
    value /= size;
  }
  return '';
}

export function timeEl(iso, text) {
  return h('time', { datetime: iso, title: formatTime(iso) }, text ?? ago(iso));
}

// ------------------------------------------------------------- indicators

/** A labelled bar; its width is set through the CSSOM, which the CSP allows. */
export function progressBar(done, total, label, size = '') {
  const value = percent(done, total);
  const fill = h('span', { class: 'progress-fill' });
  fill.style.width = `${value}%`;
  return h('div', {
    class: `progress ${size} ${total && done === total ? 'is-complete' : ''}`,
    role: 'progressbar',
    'aria-label': label,
    'aria-valuemin': 0,
    'aria-valuemax': 100,
    'aria-valuenow': value,
    'aria-valuetext': `${value}% — ${done} of ${total} tasks done`,
  }, fill);
}

export function badge(text, kind = '') {
  return h('span', { class: `badge ${kind}` }, text);
}

export function statusBadge(status) {
  return h('span', { class: `status status-${status}` },
    h('span', { class: 'status-dot', 'aria-hidden': 'true' }), STATUS[status]?.label ?? status);
}

export function loading(what) {
  return h('div', { class: 'state state-loading', role: 'status' },
    h('span', { class: 'spinner', 'aria-hidden': 'true' }), `Loading ${what}…`);
}

export function empty({ iconName = 'folder', title, body, action }) {
  return h('div', { class: 'state state-empty' },
    h('span', { class: 'state-icon' }, icon(iconName)),
    h('p', { class: 'state-title' }, title),
    body ? h('p', { class: 'state-body' }, body) : null,
    action ?? null);
}

export function failure(error, retry) {
  const offline = error instanceof ConnectionError;
  return h('div', { class: 'state state-error', role: 'alert' },
    h('span', { class: 'state-icon' }, icon(offline ? 'wifiOff' : 'alert')),
    h('p', { class: 'state-title' }, offline ? 'Can’t reach LaunchPad' : 'This could not be loaded'),
    h('p', { class: 'state-body' }, error.message),
    retry ? h('button', { type: 'button', class: 'btn', onclick: retry }, 'Try again') : null);
}

// ------------------------------------------------------------ announcements

let toastTimer;
/** A short confirmation read out by screen readers and shown briefly. */
export function announce(text) {
  const region = document.getElementById('toast');
  if (!region) return;
  region.textContent = text;
  region.classList.add('is-visible');
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => region.classList.remove('is-visible'), 3500);
}

/**
 * Tells the person that someone else changed an item while they were
 * looking at it, with what they can do next (`actions`, buttons). `key`
 * names it, so the page can move focus to it.
 */
export function conflictNotice(text, actions, key) {
  return h('div', { class: 'notice notice-conflict', role: 'alert', tabindex: '-1', dataset: { conflict: key } },
    icon('alert'), h('span', {}, text), h('div', { class: 'notice-actions' }, actions));
}

// ---------------------------------------------------------------- dialog

/** Asks before something is deleted; resolves true only on the delete button. */
export function confirmDelete({ title, body, action = 'Delete' }) {
  return new Promise((resolve) => {
    const titleId = uid('dialog-title');
    const bodyId = uid('dialog-body');
    const dialog = h('dialog', { class: 'dialog', 'aria-labelledby': titleId, 'aria-describedby': bodyId });
    dialog.append(
      h('div', { class: 'dialog-icon' }, icon('trash')),
      h('h2', { id: titleId, class: 'dialog-title' }, title),
      h('p', { id: bodyId, class: 'dialog-body' }, body),
      h('div', { class: 'dialog-actions' },
        h('button', { type: 'button', class: 'btn', autofocus: true, onclick: () => dialog.close('cancel') }, 'Cancel'),
        h('button', { type: 'button', class: 'btn btn-danger', onclick: () => dialog.close('confirm') }, action)),
    );
    dialog.addEventListener('close', () => {
      dialog.remove();
      resolve(dialog.returnValue === 'confirm');
    });
    document.body.append(dialog);
    dialog.showModal();
  });
}

// ----------------------------------------------------------------- forms

const draftKey = (form, name) => `launchpad:draft:${form}:${name}`;

function readDraft(form, name) {
  try { return sessionStorage.getItem(draftKey(form, name)); } catch { return null; }
}

function writeDraft(form, name, value) {
  try { sessionStorage.setItem(draftKey(form, name), value); } catch { /* storage full or off */ }
}

export function clearDrafts(form, names) {
  try { for (const name of names) sessionStorage.removeItem(draftKey(form, name)); } catch { /* off */ }
}

function control(field, id, value) {
  const common = { id, name: field.name, autocomplete: field.autocomplete ?? 'off' };
  if (field.type === 'checkbox') {
    return h('input', { id, name: field.name, type: 'checkbox', checked: value === true || value === 'true' });
  }
  if (field.type === 'textarea') {
    return h('textarea', { ...common, rows: field.rows ?? 4, placeholder: field.placeholder, value });
  }
  if (field.type === 'select') {
    return h('select', common, field.options.map(([v, label]) =>
      h('option', { value: v, selected: v === value }, label)));
  }
  return h('input', {
    ...common, type: field.type ?? 'text', value, placeholder: field.placeholder, spellcheck: field.spellcheck,
    title: field.title,
  });
}

function setFieldError(input, message) {
  const error = document.getElementById(input.dataset.errorId);
  // A field can be named by several errors (a list's items); each is kept.
  error.textContent = error.hidden ? message : `${error.textContent} ${message}`;
  error.hidden = false;
  input.setAttribute('aria-invalid', 'true');
  input.setAttribute('aria-describedby', [input.dataset.hintId, error.id].filter(Boolean).join(' '));
}

function clearFieldError(input) {
  const error = document.getElementById(input.dataset.errorId);
  if (error) { error.hidden = true; error.textContent = ''; }
  input.removeAttribute('aria-invalid');
  if (input.dataset.hintId) input.setAttribute('aria-describedby', input.dataset.hintId);
  else input.removeAttribute('aria-describedby');
}

/**
 * A form that keeps drafts of what is typed (in sessionStorage, so a failed
 * save or a reload loses nothing), sends `onSubmit(values)`, and on a
 * problem+json answer shows each error beside the field it names.
 *
 * options: key (names the drafts), fields [{name, label, type, value, hint,
 * placeholder, optional, hideLabel, options, rows, autocomplete, itemLabel}],
 * submit (button text), onSubmit(values) -> result, onDone(result) after
 * drafts are cleared, onCancel, layout ('stack' | 'inline'), reset (clear
 * after success), intro (nodes shown above the fields), onError(error) ->
 * true when the page has dealt with a failed save itself (the form then
 * shows nothing), conflict (text saying someone else changed the item: shown
 * above the fields with "Apply my change again", which saves the form as it
 * is, and "Discard my change", which clears the drafts and cancels).
 *
 * An entry of `fields` may instead be a group, {legend, className, fields},
 * drawn as a fieldset. A checkbox (type 'checkbox') gives true or false. An
 * error naming `links[2]` is shown under the field `links` as
 * "<itemLabel> 3: message".
 */
export function form(options) {
  const { key, fields, submit, onSubmit, onDone, onCancel, layout = 'stack', reset = false } = options;
  const alertBox = h('div', { class: 'form-alert', role: 'alert', hidden: true });
  const el = h('form', { class: `form form-${layout} ${options.className ?? ''}`, novalidate: true, dataset: { key } });
  const controls = [];
  const names = () => controls.map(([f]) => f.name);
  const valueOf = (field, input) => (field.type === 'checkbox' ? input.checked : input.value);

  const row = (field) => {
    if (field.fields) {
      return h('fieldset', { class: `fieldset ${field.className ?? ''}` },
        h('legend', { class: 'fieldset-legend' }, field.legend), field.fields.map(row));
    }
    const id = field.id ?? uid('field');
    const saved = field.type === 'password' ? null : readDraft(key, field.name);
    const input = control(field, id, saved ?? field.value ?? '');
    input.dataset.key = `${key}:${field.name}`;
    input.dataset.errorId = `${id}-error`;
    if (field.hint) {
      input.dataset.hintId = `${id}-hint`;
      input.setAttribute('aria-describedby', input.dataset.hintId);
    }
    if (field.autofocus) input.autofocus = true;
    input.addEventListener('input', () => {
      if (field.type !== 'password') writeDraft(key, field.name, String(valueOf(field, input)));
      if (input.hasAttribute('aria-invalid')) clearFieldError(input);
    });
    controls.push([field, input]);
    const label = h('label', { for: id, class: field.hideLabel ? 'visually-hidden' : '' },
      field.label, field.optional ? h('span', { class: 'optional' }, ' (optional)') : null);
    const check = field.type === 'checkbox';
    return h('div', { class: `field field-${field.name.replace(/\W+/g, '-')} ${check ? 'field-check' : ''} ${field.className ?? ''}` },
      check ? h('div', { class: 'check' }, input, label) : [label, input],
      field.hint ? h('p', { class: 'hint', id: `${id}-hint` }, field.hint) : null,
      h('p', { class: 'field-error', id: `${id}-error`, hidden: true }));
  };
  const rows = fields.map(row);

  const button = h('button', { type: 'submit', class: 'btn btn-primary', dataset: { key: `${key}:submit` } }, submit);
  const cancel = () => { clearDrafts(key, names()); onCancel?.(); };
  const conflict = options.conflict ? conflictNotice(options.conflict, [
    h('button', { type: 'submit', class: 'btn btn-small', dataset: { key: `${key}:apply` } }, 'Apply my change again'),
    h('button', { type: 'button', class: 'btn btn-quiet btn-small', dataset: { key: `${key}:discard` }, onclick: cancel },
      'Discard my change'),
  ], key) : null;
  append(el, [alertBox, conflict, options.intro, rows, h('div', { class: 'form-actions' },
    button,
    onCancel ? h('button', { type: 'button', class: 'btn btn-quiet', onclick: cancel }, 'Cancel') : null)]);

  el.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (el.getAttribute('aria-busy') === 'true') return;
    alertBox.hidden = true;
    controls.forEach(([, input]) => clearFieldError(input));
    const values = Object.fromEntries(controls.map(([field, input]) => [field.name, valueOf(field, input)]));
    el.setAttribute('aria-busy', 'true');
    button.disabled = true;
    let result;
    try {
      result = await onSubmit(values);
    } catch (error) {
      el.removeAttribute('aria-busy');
      button.disabled = false;
      if (!(await options.onError?.(error))) showErrors(el, alertBox, controls, error);
      return;
    }
    el.removeAttribute('aria-busy');
    button.disabled = false;
    clearDrafts(key, names());
    if (reset) {
      controls.forEach(([field, input]) => {
        if (field.type === 'checkbox') input.checked = field.value === true;
        else input.value = field.value ?? '';
      });
    }
    await onDone?.(result);
  });
  return el;
}

function showErrors(el, alertBox, controls, error) {
  const unmatched = [];
  let first = null;
  if (error instanceof ApiError && error.errors.length) {
    for (const { field, message } of error.errors) {
      const item = field.match(/^(.*)\[(\d+)\]$/);
      const exact = controls.find(([f]) => f.name === field);
      const list = !exact && item ? controls.find(([f]) => f.name === item[1] && f.itemLabel) : null;
      const match = exact ?? list;
      if (match) {
        setFieldError(match[1], list ? `${list[0].itemLabel} ${Number(item[2]) + 1}: ${message}` : message);
        first ??= match[1];
      } else {
        unmatched.push(`${field}: ${message}`);
      }
    }
  }
  if (!first || unmatched.length) {
    alertBox.replaceChildren(icon('alert'), h('span', {}, unmatched.length && first ? unmatched.join('; ') : error.message));
    alertBox.hidden = false;
  }
  (first ?? el.querySelector('input, textarea, select'))?.focus();
}

// ------------------------------------------------------------------ pages

export function pageHeader({ title, subtitle, eyebrow, actions }) {
  return h('header', { class: 'page-header' },
    h('div', { class: 'page-heading' },
      eyebrow ?? null,
      h('h1', { tabindex: '-1', class: 'page-title' }, title),
      subtitle ? h('p', { class: 'page-subtitle' }, subtitle) : null),
    actions ? h('div', { class: 'page-actions' }, actions) : null);
}

/**
 * Repaints `root` with `build()` and puts focus back on the control that had
 * it (matched by data-key), so a keyboard user keeps their place.
 */
export function repaint(root, build) {
  const active = document.activeElement;
  const key = active && root.contains(active) ? active.dataset.key : null;
  root.replaceChildren(...[build()].flat(Infinity).filter((n) => n !== null && n !== undefined && n !== false));
  if (key) root.querySelector(`[data-key="${CSS.escape(key)}"]`)?.focus();
}
