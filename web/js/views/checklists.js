// A project's checklists and their tasks. A task's status moves on in one
// click (pending → in progress → done → pending); a task may name the pillar
// it strengthens and be required for the next level, and shows both.
// Editors rename, edit and delete in place (every delete is confirmed in a
// dialog), start a checklist from a template, and save one as a template.
// Each change names the version of the checklist or task the person saw
// (versions.js); one someone else's change stopped is said beside the item.

import { api, paths } from '../api.js';
import { h, icon, uid } from '../dom.js';
import { can } from '../session.js';
import {
  STATUS, announce, badge, confirmDelete, form, formatDay, isOverdue, percent, progressBar, statusBadge, tally,
} from '../ui.js';
import { PILLARS, pillarTag, requiredMark } from '../readiness.js';
import { Changed, changes, edit, remember, remove } from '../versions.js';

const PILLAR_OPTIONS = [['', 'No pillar'], ...PILLARS.map((p) => [p.id, p.label])];

export function checklist(ctx, list) {
  const { project } = ctx.state;
  const counts = tally(list.tasks);
  const headingId = `checklist-${list.id}`;
  const renaming = ctx.state.editing.has(`checklist:${list.id}`);
  const saving = ctx.state.editing.has(`template:${list.id}`);
  const summary = [`${counts.done} of ${counts.total} done`, counts.overdue ? `${counts.overdue} overdue` : null]
    .filter(Boolean).join(' · ');
  return h('section', { class: 'card checklist', 'aria-labelledby': headingId, dataset: { checklist: list.name } },
    h('div', { class: 'checklist-head' },
      h('div', { class: 'checklist-title' },
        h('h3', { id: headingId, tabindex: '-1' }, list.name),
        h('p', { class: 'muted small' }, summary)),
      h('div', { class: 'checklist-progress' },
        progressBar(counts.done, counts.total, `${list.name} progress`),
        h('span', { class: 'small strong' }, `${percent(counts.done, counts.total)}%`)),
      can.edit() ? h('div', { class: 'row-actions' },
        h('button', {
          type: 'button', class: 'btn btn-quiet btn-small', dataset: { key: `rename:${list.id}` },
          'aria-label': `Rename checklist ${list.name}`, 'aria-expanded': String(renaming),
          onclick: () => ctx.toggle(`checklist:${list.id}`, !renaming),
        }, icon('edit'), h('span', { class: 'label-wide' }, 'Rename')),
        list.tasks.length ? h('button', {
          type: 'button', class: 'btn btn-quiet btn-small', dataset: { key: `save-template:${list.id}` },
          'aria-label': `Save checklist ${list.name} as a template`, 'aria-expanded': String(saving),
          onclick: () => ctx.toggle(`template:${list.id}`, !saving),
        }, icon('copy'), h('span', { class: 'label-wide' }, 'Save as template')) : null,
        h('button', {
          type: 'button', class: 'btn btn-quiet btn-small btn-danger-quiet',
          'aria-label': `Delete checklist ${list.name}`, onclick: () => deleteChecklist(ctx, list),
        }, icon('trash'), h('span', { class: 'label-wide' }, 'Delete'))) : null),
    ctx.note(`changed:${list.id}`),
    renaming ? form({
      key: `checklist:${list.id}`,
      layout: 'inline',
      submit: 'Save',
      conflict: ctx.state.conflicts.get(`checklist:${list.id}`),
      fields: [{ name: 'name', label: 'Checklist name', value: list.name, autofocus: true }],
      onSubmit: (values) => edit(paths.checklist(project.id, list.id), list, changes(list, { name: values.name })),
      onError: (error) => editStopped(ctx, error, `checklist:${list.id}`, {
        changed: 'Someone else renamed this checklist while you were editing its name, so your change was not saved. Its heading now shows their name; what you typed is still here.',
        gone: `Someone else deleted the checklist “${list.name}” while you were renaming it.`,
      }),
      onDone: async () => {
        ctx.close(`checklist:${list.id}`);
        await ctx.load();
        announce('Checklist renamed.');
      },
      onCancel: () => ctx.toggle(`checklist:${list.id}`, false),
    }) : null,
    saving ? saveAsTemplate(ctx, list) : null,
    list.tasks.length
      ? h('ul', { class: 'tasks', 'aria-label': `Tasks in ${list.name}` }, list.tasks.map((t) => task(ctx, list, t)))
      : h('p', { class: 'tasks-empty muted' }, 'No tasks in this checklist yet.'),
    can.edit() ? addTask(ctx, list) : null);
}

/** A form's onError: says when someone else's change stopped the save, and keeps the form open. */
async function editStopped(ctx, error, key, texts) {
  if (!(error instanceof Changed)) return false;
  await ctx.changed(error, key, texts, key);
  return true;
}

function saveAsTemplate(ctx, list) {
  return form({
    key: `template:${list.id}`,
    layout: 'inline',
    className: 'form-labelled',
    submit: 'Save template',
    fields: [{
      name: 'name', label: 'Template name', value: list.name, autofocus: true,
      hint: `Its ${list.tasks.length} tasks, with their pillars and required marks, become a template anyone can start a checklist from.`,
    }],
    onSubmit: async (values) => (await api.post(paths.templates, {
      projectId: ctx.projectId, checklistId: list.id, name: values.name,
    })).data,
    onDone: async (template) => {
      ctx.state.editing.delete(`template:${list.id}`);
      await ctx.loadTemplates();
      ctx.paint();
      announce(`Saved the template “${template.name}”.`);
    },
    onCancel: () => ctx.toggle(`template:${list.id}`, false),
  });
}

async function deleteChecklist(ctx, list) {
  const sure = await confirmDelete({
    title: `Delete the checklist “${list.name}”?`,
    body: `Its ${list.tasks.length} tasks are deleted with it. This cannot be undone.`,
    action: 'Delete checklist',
  });
  if (!sure) return;
  const deleted = await ctx.change(() => remove(paths.checklist(ctx.projectId, list.id), list), `Deleted ${list.name}.`, {
    key: `changed:${list.id}`,
    focus: true,
    changed: `Someone else changed the checklist “${list.name}” while you were looking at it, so it was not deleted. It now shows what they saved; delete it again if you still want to.`,
    gone: `Someone else has already deleted the checklist “${list.name}”.`,
  });
  if (deleted) document.querySelector('main h1')?.focus();
}

function statusControl(ctx, list, t) {
  if (!can.edit()) return statusBadge(t.status);
  const next = STATUS[t.status].next;
  return h('button', {
    type: 'button',
    class: `status status-${t.status} status-button`,
    dataset: { key: `status:${t.id}`, testid: 'status' },
    // Not `disabled`: a disabled button would drop keyboard focus mid-change.
    'aria-busy': ctx.state.busy.has(t.id) ? 'true' : null,
    'aria-label': `${STATUS[t.status].label}: mark “${t.title}” ${STATUS[next].label.toLowerCase()}`,
    title: `Mark ${STATUS[next].label.toLowerCase()}`,
    onclick: () => cycle(ctx, list, t),
  }, h('span', { class: 'status-dot', 'aria-hidden': 'true' }), STATUS[t.status].label);
}

async function cycle(ctx, list, t) {
  if (ctx.state.busy.has(t.id)) return;
  const next = STATUS[t.status].next;
  ctx.state.busy.add(t.id);
  await ctx.change(
    () => edit(paths.task(ctx.projectId, list.id, t.id), t, { status: next }),
    `“${t.title}” is now ${STATUS[next].label.toLowerCase()}.`,
    {
      key: `changed:${t.id}`,
      changed: `Someone else changed the status of “${t.title}” while you were looking at it, so it was not marked ${STATUS[next].label.toLowerCase()}. It now shows what they saved.`,
      gone: `Someone else deleted the task “${t.title}” while you were looking at it.`,
    },
  );
  ctx.state.busy.delete(t.id);
  ctx.paint();
}

function task(ctx, list, t) {
  const overdue = isOverdue(t);
  const editing = ctx.state.editing.has(`task:${t.id}`);
  const notesId = t.notes ? uid('notes') : null;
  return h('li', { class: `task task-${t.status} ${overdue ? 'is-overdue' : ''}`, dataset: { task: t.title } },
    h('div', { class: 'task-row' },
      statusControl(ctx, list, t),
      h('div', { class: 'task-main' },
        h('span', { class: 'task-title' }, t.title),
        h('div', { class: 'task-meta' },
          t.pillar ? pillarTag(t.pillar) : null,
          t.required ? requiredMark() : null,
          overdue ? badge('Overdue', 'badge-danger') : null,
          t.dueDate ? h('span', { class: `meta-item ${overdue ? 'text-danger' : ''}` }, icon('calendar'),
            h('span', {}, `Due ${formatDay(t.dueDate)}`)) : null,
          t.notes ? h('span', { class: 'meta-item task-notes', id: notesId }, icon('note'), h('span', {}, t.notes)) : null)),
      can.edit() ? h('div', { class: 'row-actions' },
        h('button', {
          type: 'button', class: 'btn btn-quiet btn-small', dataset: { key: `edit:${t.id}` },
          'aria-label': `Edit “${t.title}”`, 'aria-expanded': String(editing),
          onclick: () => ctx.toggle(`task:${t.id}`, !editing),
        }, icon('edit'), h('span', { class: 'label-wide' }, 'Edit')),
        h('button', {
          type: 'button', class: 'btn btn-quiet btn-small btn-danger-quiet',
          'aria-label': `Delete “${t.title}”`, onclick: () => deleteTask(ctx, list, t),
        }, icon('trash'), h('span', { class: 'label-wide' }, 'Delete'))) : null),
    ctx.note(`changed:${t.id}`),
    editing ? editTask(ctx, list, t) : null);
}

function editTask(ctx, list, t) {
  const key = `task:${t.id}`;
  return form({
    key,
    className: 'task-edit',
    submit: 'Save task',
    conflict: ctx.state.conflicts.get(key),
    fields: [
      { name: 'title', label: 'Title', value: t.title, hint: '3 to 120 characters.' },
      { name: 'dueDate', label: 'Due date', optional: true, type: 'date', value: t.dueDate ?? '' },
      { name: 'pillar', label: 'Pillar', type: 'select', options: PILLAR_OPTIONS, value: t.pillar ?? '' },
      {
        name: 'required', label: 'Required for the next level', type: 'checkbox', value: Boolean(t.required),
        hint: 'The readiness level waits until it is done.',
      },
      { name: 'notes', label: 'Notes', optional: true, type: 'textarea', rows: 3, value: t.notes ?? '' },
    ],
    // Only what the person changed is sent: a field someone else changed
    // in the meantime stops the save only when the person changed it too.
    onSubmit: (values) => edit(paths.task(ctx.projectId, list.id, t.id), t, changes(t, {
      title: values.title,
      dueDate: values.dueDate || null,
      notes: values.notes.trim() ? values.notes : null,
      pillar: values.pillar || null,
      required: values.required,
    })),
    onError: (error) => editStopped(ctx, error, key, {
      changed: 'Someone else changed this task while you were editing it, so your change was not saved. The task above now shows what they saved; what you typed is still here.',
      gone: `Someone else deleted the task “${t.title}” while you were editing it.`,
    }),
    onDone: async () => {
      ctx.close(key);
      await ctx.load();
      announce('Task saved.');
    },
    onCancel: () => ctx.toggle(key, false),
  });
}

async function deleteTask(ctx, list, t) {
  const sure = await confirmDelete({
    title: `Delete the task “${t.title}”?`,
    body: 'Its notes and due date are deleted with it. This cannot be undone.',
    action: 'Delete task',
  });
  if (!sure) return;
  const deleted = await ctx.change(() => remove(paths.task(ctx.projectId, list.id, t.id), t), `Deleted “${t.title}”.`, {
    key: `changed:${t.id}`,
    focus: true,
    changed: `Someone else changed “${t.title}” while you were looking at it, so it was not deleted. It now shows what they saved; delete it again if you still want to.`,
    gone: `Someone else has already deleted the task “${t.title}”.`,
  });
  if (deleted) document.getElementById(`checklist-${list.id}`)?.focus();
}

function addTask(ctx, list) {
  return form({
    key: `new-task:${list.id}`,
    layout: 'inline',
    className: 'add-task',
    submit: 'Add task',
    reset: true,
    fields: [
      { name: 'title', label: `New task in ${list.name}`, hideLabel: true, placeholder: 'Add a task…' },
      { name: 'dueDate', label: 'Due date', hideLabel: true, type: 'date', optional: true, title: 'Due date (optional)' },
      { name: 'pillar', label: 'Pillar', hideLabel: true, type: 'select', options: PILLAR_OPTIONS, value: '' },
      { name: 'required', label: 'Required', type: 'checkbox', value: false },
    ],
    onSubmit: async (values) => {
      const body = { title: values.title };
      if (values.dueDate) body.dueDate = values.dueDate;
      if (values.pillar) body.pillar = values.pillar;
      if (values.required) body.required = true;
      const added = await api.post(paths.tasks(ctx.projectId, list.id), body);
      return remember(paths.task(ctx.projectId, list.id, added.data.id), added);
    },
    onDone: async () => {
      await ctx.load();
      announce('Task added.');
      document.querySelector(`[data-key="new-task:${list.id}:title"]`)?.focus();
    },
  });
}

/** "Core hardening audit: 16 tasks, 4 required. Four areas, …" */
function templateHint(template) {
  if (!template) return 'Start empty, or from a template with its tasks already in place.';
  const required = template.tasks.filter((t) => t.required).length;
  const counts = `${template.tasks.length} task${template.tasks.length === 1 ? '' : 's'}${required ? `, ${required} required` : ''}`;
  return `${counts}.${template.description ? ` ${template.description}` : ''}`;
}

export function addChecklist(ctx) {
  const templates = ctx.state.templates ?? [];
  const fields = [{
    name: 'name', label: 'Checklist name', placeholder: 'e.g. Observability',
    optional: templates.length > 0, hint: templates.length ? 'Leave it empty to use the template’s name.' : null,
    hideLabel: !templates.length,
  }];
  if (templates.length) {
    fields.push({
      name: 'template', label: 'Template', type: 'select', optional: true, value: '',
      options: [['', 'No template'], ...templates.map((t) => [t.id, t.builtIn ? t.name : `${t.name} (saved)`])],
      hint: templateHint(null),
    });
  }
  const el = form({
    key: `new-checklist:${ctx.projectId}`,
    layout: 'inline',
    className: templates.length ? 'form-labelled add-checklist' : 'add-checklist',
    submit: 'Add checklist',
    reset: true,
    fields,
    onSubmit: async (values) => {
      const body = {};
      if (values.name.trim() || !values.template) body.name = values.name;
      if (values.template) body.template = values.template;
      const added = await api.post(paths.checklists(ctx.projectId), body);
      return remember(paths.checklist(ctx.projectId, added.data.id), added);
    },
    onDone: async () => {
      await ctx.load();
      announce('Checklist added.');
      document.querySelector(`[data-key="new-task:${ctx.state.project.checklists.at(-1)?.id}:title"]`)?.focus();
    },
  });
  const select = el.querySelector('select[name="template"]');
  if (select) {
    const hint = el.querySelector(`#${CSS.escape(select.dataset.hintId)}`);
    const update = () => { hint.textContent = templateHint(templates.find((t) => t.id === select.value)); };
    select.addEventListener('change', update);
    update();
  }
  return h('section', { class: 'card card-dashed', 'aria-labelledby': 'add-checklist-heading' },
    h('h3', { id: 'add-checklist-heading', class: 'card-title' }, 'Add a checklist'),
    el);
}
