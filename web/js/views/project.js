// One project: its details, its checklists with a bar each, and their tasks.
// A task's status moves on in one click (pending → in progress → done →
// pending); editors rename, edit and delete in place, and every delete is
// confirmed in a dialog first. Overdue tasks are marked in words and colour.

import { ApiError, ConnectionError, api, paths } from '../api.js';
import { h, icon, uid } from '../dom.js';
import { can } from '../session.js';
import {
  STATUS, announce, badge, confirmDelete, empty, failure, form, formatDay, isOverdue, loading,
  pageHeader, percent, progressBar, repaint, statusBadge, tally, tasksOf, timeEl,
} from '../ui.js';

export async function render(main, [projectId], app) {
  const state = { project: null, error: null, editing: new Set(), busy: new Set(), notice: null };
  const ctx = { state, app, projectId };
  ctx.paint = () => repaint(main, () => view(ctx));
  ctx.load = async () => {
    try {
      state.project = (await api.get(paths.project(projectId))).data;
      state.error = null;
    } catch (error) {
      state.error = error;
    }
    if (app.alive()) ctx.paint();
  };
  /** Runs a change, reloads the project, and reports a failure on the page. */
  ctx.change = async (work, done) => {
    state.notice = null;
    try {
      await work();
    } catch (error) {
      state.notice = error;
      ctx.paint();
      return false;
    }
    await ctx.load();
    if (done) announce(done);
    return true;
  };
  ctx.toggle = (key, open) => {
    if (open) state.editing.add(key); else state.editing.delete(key);
    ctx.paint();
  };

  app.setTitle('Project');
  main.replaceChildren(loading('the project'));
  await ctx.load();
}

function view(ctx) {
  const { state, app } = ctx;
  const crumbs = (name) => h('nav', { class: 'breadcrumb', 'aria-label': 'Breadcrumb' },
    h('ol', {}, h('li', {}, h('a', { href: '/' }, 'Overview')), h('li', { 'aria-current': 'page' }, name)));
  if (state.error) {
    const gone = state.error instanceof ApiError && [400, 404].includes(state.error.status);
    app.setTitle(gone ? 'Project not found' : 'Project');
    return [crumbs('Project'), gone
      ? empty({
        iconName: 'folder',
        title: 'This project does not exist',
        body: 'It may have been deleted, or the link is mistyped.',
        action: h('a', { class: 'btn', href: '/' }, 'Back to the overview'),
      })
      : failure(state.error, () => ctx.load())];
  }
  const project = state.project;
  app.setTitle(project.name);
  return [
    crumbs(project.name),
    header(ctx),
    state.notice ? notice(ctx) : null,
    state.editing.has('project') ? editProject(ctx) : null,
    overview(project),
    h('div', { class: 'checklists' }, project.checklists.map((c) => checklist(ctx, c))),
    project.checklists.length ? null : empty({
      iconName: 'list',
      title: 'No checklists yet',
      body: can.edit()
        ? 'Group the work into checklists such as “Observability” or “Security review”, then add tasks.'
        : 'Nobody has added a checklist to this project yet.',
    }),
    can.edit() ? addChecklist(ctx) : null,
  ];
}

function notice(ctx) {
  const error = ctx.state.notice;
  const text = error instanceof ConnectionError ? error.message : `That change was not saved: ${error.message}`;
  return h('div', { class: 'notice notice-error', role: 'alert' }, icon('alert'), h('span', {}, text),
    h('button', {
      type: 'button', class: 'btn btn-quiet btn-small',
      onclick: () => { ctx.state.notice = null; ctx.paint(); },
    }, 'Dismiss'));
}

function header(ctx) {
  const { project } = ctx.state;
  const actions = can.edit() ? [
    h('button', {
      type: 'button', class: 'btn', dataset: { key: 'edit-project' },
      'aria-expanded': String(ctx.state.editing.has('project')),
      onclick: () => ctx.toggle('project', !ctx.state.editing.has('project')),
    }, icon('edit'), 'Edit details'),
    h('button', { type: 'button', class: 'btn btn-danger-quiet', onclick: () => deleteProject(ctx) },
      icon('trash'), 'Delete project'),
  ] : null;
  return [
    pageHeader({ title: project.name, subtitle: project.description, actions }),
    h('div', { class: 'meta meta-page' },
      h('span', { class: 'meta-item' }, icon('user'), project.ownerEmail
        ? h('span', {}, 'Owner ', h('strong', {}, project.ownerEmail))
        : 'No owner set'),
      h('span', { class: 'meta-item' }, 'Created ', timeEl(project.createdAt)),
      h('span', { class: 'meta-item' }, 'Updated ', timeEl(project.updatedAt))),
  ];
}

async function deleteProject(ctx) {
  const { project } = ctx.state;
  const sure = await confirmDelete({
    title: `Delete “${project.name}”?`,
    body: `Its ${project.checklists.length} checklists and ${tasksOf(project).length} tasks are deleted with it. This cannot be undone.`,
    action: 'Delete project',
  });
  if (!sure) return;
  try {
    await api.del(paths.project(project.id));
  } catch (error) {
    ctx.state.notice = error;
    ctx.paint();
    return;
  }
  announce(`Deleted ${project.name}.`);
  ctx.app.navigate('/');
}

function editProject(ctx) {
  const { project } = ctx.state;
  const optional = (value) => (value.trim() ? value.trim() : null);
  return h('section', { class: 'card card-form', 'aria-label': 'Edit project details' }, form({
    key: `project:${project.id}`,
    submit: 'Save details',
    fields: [
      { name: 'name', label: 'Project name', value: project.name, hint: '3 to 50 characters.' },
      { name: 'description', label: 'Description', optional: true, type: 'textarea', rows: 2, value: project.description ?? '' },
      { name: 'ownerEmail', label: 'Owner email', optional: true, type: 'email', value: project.ownerEmail ?? '' },
    ],
    onSubmit: (values) => api.patch(paths.project(project.id), {
      name: values.name,
      description: optional(values.description),
      ownerEmail: optional(values.ownerEmail),
    }),
    onDone: async () => {
      ctx.state.editing.delete('project');
      await ctx.load();
      announce('Project details saved.');
    },
    onCancel: () => ctx.toggle('project', false),
  }));
}

function overview(project) {
  const counts = tally(tasksOf(project));
  const chip = (kind, label, n) => h('li', { class: `chip chip-${kind}` }, h('strong', {}, String(n)), ` ${label}`);
  return h('section', { class: 'card project-overview', 'aria-label': 'Project readiness' },
    h('div', { class: 'overview-score' },
      h('span', { class: 'readiness-value' }, `${percent(counts.done, counts.total)}%`),
      h('span', { class: 'muted' }, counts.total ? `${counts.done} of ${counts.total} tasks done` : 'No tasks yet')),
    progressBar(counts.done, counts.total, `${project.name} readiness`, 'progress-large'),
    h('ul', { class: 'chips', 'aria-label': 'Tasks by status' },
      chip('done', 'done', counts.done),
      chip('progress', 'in progress', counts.inProgress),
      chip('pending', 'pending', counts.pending),
      counts.overdue ? chip('overdue', 'overdue', counts.overdue) : null));
}

function checklist(ctx, list) {
  const { project } = ctx.state;
  const counts = tally(list.tasks);
  const headingId = `checklist-${list.id}`;
  const renaming = ctx.state.editing.has(`checklist:${list.id}`);
  const summary = [`${counts.done} of ${counts.total} done`, counts.overdue ? `${counts.overdue} overdue` : null]
    .filter(Boolean).join(' · ');
  return h('section', { class: 'card checklist', 'aria-labelledby': headingId, dataset: { checklist: list.name } },
    h('div', { class: 'checklist-head' },
      h('div', { class: 'checklist-title' },
        h('h2', { id: headingId, tabindex: '-1' }, list.name),
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
        h('button', {
          type: 'button', class: 'btn btn-quiet btn-small btn-danger-quiet',
          'aria-label': `Delete checklist ${list.name}`, onclick: () => deleteChecklist(ctx, list),
        }, icon('trash'), h('span', { class: 'label-wide' }, 'Delete'))) : null),
    renaming ? form({
      key: `checklist:${list.id}`,
      layout: 'inline',
      submit: 'Save',
      fields: [{ name: 'name', label: 'Checklist name', value: list.name, autofocus: true }],
      onSubmit: (values) => api.patch(paths.checklist(project.id, list.id), { name: values.name }),
      onDone: async () => {
        ctx.state.editing.delete(`checklist:${list.id}`);
        await ctx.load();
        announce('Checklist renamed.');
      },
      onCancel: () => ctx.toggle(`checklist:${list.id}`, false),
    }) : null,
    list.tasks.length
      ? h('ul', { class: 'tasks', 'aria-label': `Tasks in ${list.name}` }, list.tasks.map((t) => task(ctx, list, t)))
      : h('p', { class: 'tasks-empty muted' }, 'No tasks in this checklist yet.'),
    can.edit() ? addTask(ctx, list) : null);
}

async function deleteChecklist(ctx, list) {
  const sure = await confirmDelete({
    title: `Delete the checklist “${list.name}”?`,
    body: `Its ${list.tasks.length} tasks are deleted with it. This cannot be undone.`,
    action: 'Delete checklist',
  });
  if (!sure) return;
  await ctx.change(() => api.del(paths.checklist(ctx.projectId, list.id)), `Deleted ${list.name}.`);
  document.querySelector('main h1')?.focus();
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
    () => api.patch(paths.task(ctx.projectId, list.id, t.id), { status: next }),
    `“${t.title}” is now ${STATUS[next].label.toLowerCase()}.`,
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
    editing ? editTask(ctx, list, t) : null);
}

function editTask(ctx, list, t) {
  return form({
    key: `task:${t.id}`,
    className: 'task-edit',
    submit: 'Save task',
    fields: [
      { name: 'title', label: 'Title', value: t.title, hint: '3 to 120 characters.' },
      { name: 'dueDate', label: 'Due date', optional: true, type: 'date', value: t.dueDate ?? '' },
      { name: 'notes', label: 'Notes', optional: true, type: 'textarea', rows: 3, value: t.notes ?? '' },
    ],
    onSubmit: (values) => api.patch(paths.task(ctx.projectId, list.id, t.id), {
      title: values.title,
      dueDate: values.dueDate || null,
      notes: values.notes.trim() ? values.notes : null,
    }),
    onDone: async () => {
      ctx.state.editing.delete(`task:${t.id}`);
      await ctx.load();
      announce('Task saved.');
    },
    onCancel: () => ctx.toggle(`task:${t.id}`, false),
  });
}

async function deleteTask(ctx, list, t) {
  const sure = await confirmDelete({
    title: `Delete the task “${t.title}”?`,
    body: 'Its notes and due date are deleted with it. This cannot be undone.',
    action: 'Delete task',
  });
  if (!sure) return;
  await ctx.change(() => api.del(paths.task(ctx.projectId, list.id, t.id)), `Deleted “${t.title}”.`);
  document.getElementById(`checklist-${list.id}`)?.focus();
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
    ],
    onSubmit: (values) => {
      const body = { title: values.title };
      if (values.dueDate) body.dueDate = values.dueDate;
      return api.post(paths.tasks(ctx.projectId, list.id), body);
    },
    onDone: async () => {
      await ctx.load();
      announce('Task added.');
      document.querySelector(`[data-key="new-task:${list.id}:title"]`)?.focus();
    },
  });
}

function addChecklist(ctx) {
  return h('section', { class: 'card card-dashed', 'aria-labelledby': 'add-checklist-heading' },
    h('h2', { id: 'add-checklist-heading', class: 'card-title' }, 'Add a checklist'),
    form({
      key: `new-checklist:${ctx.projectId}`,
      layout: 'inline',
      submit: 'Add checklist',
      reset: true,
      fields: [{ name: 'name', label: 'Checklist name', hideLabel: true, placeholder: 'e.g. Observability' }],
      onSubmit: (values) => api.post(paths.checklists(ctx.projectId), { name: values.name }),
      onDone: async () => {
        await ctx.load();
        announce('Checklist added.');
        document.querySelector(`[data-key="new-task:${ctx.state.project.checklists.at(-1)?.id}:title"]`)?.focus();
      },
    }));
}
