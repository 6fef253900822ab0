// One planning table, whatever its rows hold: the North Star's alignment
// rows, the stakeholder canvas and each section of the compliance notes are
// all drawn here from a description of their fields. Everyone reads the
// rows; editors add one, edit one in place and delete one (after a dialog).
// Each form keeps its drafts and shows the API's errors beside their fields.

import { api, paths } from '../api.js';
import { h, icon } from '../dom.js';
import { can } from '../session.js';
import { announce, confirmDelete, form } from '../ui.js';

/**
 * table: {
 *   id (names keys and ids), title, intro, noun ("stakeholder"),
 *   collection(projectId) -> the rows' API path,
 *   fields [{name, label, type, options, required, wide, hint, rows, value}],
 *   heading(row) -> the row's name, badges(row) -> nodes beside it,
 *   show(row, field) -> a node for a field's value (optional),
 *   none: what an empty table says,
 * }
 */
export function planTable(ctx, table, rows) {
  const headingId = `${table.id}-heading`;
  const adding = ctx.state.editing.has(`new:${table.id}`);
  return h('section', { class: 'card plan-table', 'aria-labelledby': headingId, dataset: { table: table.id } },
    h('div', { class: 'plan-table-head' },
      h('div', { class: 'plan-table-title' },
        h('h2', { id: headingId, class: 'card-title', tabindex: '-1' }, table.title),
        table.intro ? h('p', { class: 'muted small' }, table.intro) : null),
      can.edit() && !adding ? h('button', {
        type: 'button', class: 'btn btn-small', dataset: { key: `add:${table.id}` },
        onclick: () => ctx.toggle(`new:${table.id}`, true),
      }, icon('plus'), `Add ${article(table.noun)}`) : null),
    adding ? addForm(ctx, table) : null,
    rows.length
      ? h('ul', { class: 'plan-rows', 'aria-label': table.title }, rows.map((row) => planRow(ctx, table, row)))
      : h('p', { class: 'plan-empty muted' }, table.none));
}

const article = (noun) => `${/^[aeiou]/i.test(noun) ? 'an' : 'a'} ${noun}`;

function planRow(ctx, table, row) {
  const editing = ctx.state.editing.has(`row:${row.id}`);
  const name = table.heading(row);
  const shown = table.fields.filter((f) => !f.inHeading && present(row[f.name]));
  return h('li', { class: 'plan-row', dataset: { row: name } },
    h('div', { class: 'plan-row-head' },
      h('div', { class: 'plan-row-name' },
        h('h3', { class: 'plan-row-title', id: `row-${row.id}`, tabindex: '-1' }, name),
        table.badges?.(row) ?? null),
      can.edit() ? h('div', { class: 'row-actions' },
        h('button', {
          type: 'button', class: 'btn btn-quiet btn-small', dataset: { key: `edit:${row.id}` },
          'aria-label': `Edit ${table.noun} “${name}”`, 'aria-expanded': String(editing),
          onclick: () => ctx.toggle(`row:${row.id}`, !editing),
        }, icon('edit'), h('span', { class: 'label-wide' }, 'Edit')),
        h('button', {
          type: 'button', class: 'btn btn-quiet btn-small btn-danger-quiet',
          'aria-label': `Delete ${table.noun} “${name}”`, onclick: () => deleteRow(ctx, table, row, name),
        }, icon('trash'), h('span', { class: 'label-wide' }, 'Delete'))) : null),
    shown.length && !editing ? h('dl', { class: 'plan-fields' }, shown.map((f) => h('div', { class: `plan-field ${f.wide ? 'is-wide' : ''}` },
      h('dt', {}, f.label),
      h('dd', { class: f.type === 'textarea' ? 'is-text' : '' }, table.show?.(row, f) ?? String(row[f.name]))))) : null,
    editing ? editForm(ctx, table, row) : null);
}

const present = (value) => value !== undefined && value !== null && value !== '' && value !== false;

/** A form's fields for `table`, filled from `row` (or empty for a new one). */
function formFields(table, row) {
  return table.fields.map((f) => ({
    ...f,
    optional: !f.required && f.type !== 'checkbox' && f.type !== 'select',
    className: `${f.wide ? 'is-wide' : ''} ${f.className ?? ''}`,
    value: row ? (f.type === 'checkbox' ? Boolean(row[f.name]) : row[f.name] ?? '') : (f.value ?? (f.type === 'checkbox' ? false : '')),
  }));
}

/** A new row: blank optional fields, and a select left at "Choose…", are left out. */
function createBody(table, values) {
  const body = {};
  for (const f of table.fields) {
    const value = values[f.name];
    if (f.type === 'checkbox') body[f.name] = value;
    else if (value.trim() || (f.required && f.type !== 'select')) body[f.name] = value;
  }
  return body;
}

/** A merge patch of every field: a blank optional field is cleared with null. */
function patchBody(table, values) {
  const body = {};
  for (const f of table.fields) {
    const value = values[f.name];
    body[f.name] = f.type === 'checkbox' || f.required || value.trim() ? value : null;
  }
  return body;
}

function addForm(ctx, table) {
  const key = `new:${table.id}`;
  const headingId = `${table.id}-new-heading`;
  return h('section', { class: 'plan-form-wrap', 'aria-labelledby': headingId },
    h('h3', { id: headingId, class: 'plan-form-title' }, `New ${table.noun}`),
    form({
      key: `${key}:${ctx.projectId}`,
      className: 'plan-form',
      submit: `Add ${table.noun}`,
      fields: formFields(table, null),
      onSubmit: (values) => api.post(table.collection(ctx.projectId), createBody(table, values)),
      onDone: async () => {
        ctx.state.editing.delete(key);
        await ctx.load();
        announce(`Added the ${table.noun}.`);
        document.querySelector(`[data-key="add:${table.id}"]`)?.focus();
      },
      onCancel: () => {
        ctx.toggle(key, false);
        document.querySelector(`[data-key="add:${table.id}"]`)?.focus();
      },
    }));
}

function editForm(ctx, table, row) {
  const key = `row:${row.id}`;
  return form({
    key,
    className: 'plan-form plan-form-edit',
    submit: `Save ${table.noun}`,
    fields: formFields(table, row),
    onSubmit: (values) => api.patch(paths.row(table.collection(ctx.projectId), row.id), patchBody(table, values)),
    onDone: async () => {
      ctx.state.editing.delete(key);
      await ctx.load();
      announce(`Saved the ${table.noun}.`);
      document.querySelector(`[data-key="edit:${row.id}"]`)?.focus();
    },
    onCancel: () => {
      ctx.toggle(key, false);
      document.querySelector(`[data-key="edit:${row.id}"]`)?.focus();
    },
  });
}

async function deleteRow(ctx, table, row, name) {
  const sure = await confirmDelete({
    title: `Delete the ${table.noun} “${name}”?`,
    body: 'This cannot be undone.',
    action: `Delete ${table.noun}`,
  });
  if (!sure) return;
  await ctx.change(() => api.del(paths.row(table.collection(ctx.projectId), row.id)), `Deleted the ${table.noun} “${name}”.`);
  document.getElementById(`${table.id}-heading`)?.focus();
}
