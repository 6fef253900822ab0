// One project: its details and North Star headline, then four tabs: its
// readiness (the scorecard, scorecard.js, and the checklists with their
// tasks, checklists.js), its North Star and stakeholders (planning.js) and
// its compliance notes (compliance.js). The tab is kept in the address
// (`?tab=compliance`) and each tab's data is read when it is opened.
// Editors edit the details in place; deleting the project is confirmed in a
// dialog first. A change someone else's change stopped (versions.js) is
// said beside the item, which the page then shows as it is now.

import { ApiError, ConnectionError, api, paths } from '../api.js';
import { h, icon } from '../dom.js';
import { can } from '../session.js';
import {
  announce, confirmDelete, conflictNotice, empty, failure, form, loading, pageHeader, percent, progressBar, repaint,
  tally, tasksOf, timeEl,
} from '../ui.js';
import { Changed, changes, edit, read, remove } from '../versions.js';
import { tabList, tabPanel } from '../tabs.js';
import { addChecklist, checklist } from './checklists.js';
import { compliancePanel } from './compliance.js';
import { headlineBanner, northStarPanel, stakeholdersPanel } from './planning.js';
import { scorecardSection } from './scorecard.js';

const TABS = [
  { id: 'readiness', label: 'Readiness' },
  { id: 'north-star', label: 'North Star', path: paths.northStar },
  { id: 'stakeholders', label: 'Stakeholders', path: paths.stakeholders },
  { id: 'compliance', label: 'Compliance', path: paths.compliance },
];
const PANELS = { 'north-star': northStarPanel, stakeholders: stakeholdersPanel, compliance: compliancePanel };

function tabInAddress() {
  const asked = new URLSearchParams(location.search).get('tab');
  return TABS.some((t) => t.id === asked) ? asked : 'readiness';
}

export async function render(main, [projectId], app) {
  const state = {
    project: null,
    error: null,
    scorecard: null,
    assessments: null,
    readinessError: null,
    templates: null,
    tab: tabInAddress(),
    /** Each planning tab's data by tab id, and what went wrong reading it. */
    plan: {},
    planError: {},
    scanNote: null,
    editing: new Set(),
    busy: new Set(),
    notice: null,
    /** What someone else's change stopped, by the key of the form or item it is shown at. */
    conflicts: new Map(),
  };
  const ctx = { state, app, projectId };
  ctx.paint = () => repaint(main, () => view(ctx));
  /** The scorecard and the history behind its charts; a failure here leaves the rest of the page. */
  const loadReadiness = async () => {
    try {
      const [card, history] = await Promise.all([
        api.get(paths.scorecard(projectId)),
        api.all(paths.assessments(projectId)),
      ]);
      state.scorecard = card.data;
      state.assessments = history;
      state.readinessError = null;
    } catch (error) {
      state.readinessError = error;
    }
  };
  ctx.loadTemplates = async () => {
    try {
      state.templates = (await api.get(paths.templates)).data;
    } catch {
      state.templates = []; // a checklist can still be started by name
    }
  };
  /** A planning tab's data; a failure shows in its panel only. */
  const loadPlan = async (tab) => {
    try {
      state.plan[tab.id] = (await api.get(tab.path(projectId))).data;
      delete state.planError[tab.id];
    } catch (error) {
      state.planError[tab.id] = error;
    }
  };
  /** The project, and the data of the tab that is open. */
  ctx.load = async () => {
    const tab = TABS.find((t) => t.id === state.tab);
    const data = tab.path ? loadPlan(tab) : loadReadiness();
    const templates = can.edit() && !tab.path && !state.templates ? ctx.loadTemplates() : null;
    try {
      state.project = (await read(paths.project(projectId))).data;
      state.error = null;
    } catch (error) {
      state.error = error;
    }
    await Promise.all([data, templates]);
    if (app.alive()) ctx.paint();
  };
  ctx.selectTab = async (id) => {
    state.tab = id;
    state.scanNote = null;
    const url = new URL(location.href);
    if (id === 'readiness') url.searchParams.delete('tab'); else url.searchParams.set('tab', id);
    history.replaceState(null, '', url.pathname + url.search);
    ctx.paint();
    await ctx.load();
  };
  /**
   * Someone else's change stopped one of the person's: say so at `key` (a
   * form or an item's note), or at the top when the item is gone, and show
   * the page as it is now; `focus` names the notice to move focus to.
   */
  ctx.changed = async (error, key, { changed, gone }, focus = null) => {
    if (error.current) {
      state.conflicts.set(key, changed);
    } else {
      ctx.close(key);
      state.notice = new Changed(null, gone);
    }
    await ctx.load();
    if (focus) document.querySelector(`[data-conflict="${CSS.escape(focus)}"]`)?.focus();
  };
  /**
   * Runs a change, reloads the project, and reports a failure on the page;
   * `conflict` ({key, changed, gone, focus}) words a change someone else's
   * stopped, and `focus` says whether its note takes the focus.
   */
  ctx.change = async (work, done, conflict) => {
    state.notice = null;
    try {
      await work();
    } catch (error) {
      if (error instanceof Changed && conflict) {
        await ctx.changed(error, conflict.key, conflict, conflict.focus ? conflict.key : null);
        return false;
      }
      state.notice = error;
      ctx.paint();
      return false;
    }
    if (conflict) state.conflicts.delete(conflict.key);
    await ctx.load();
    if (done) announce(done);
    return true;
  };
  /** Closes the form or note at `key`, and forgets what stopped it. */
  ctx.close = (key) => {
    state.editing.delete(key);
    state.conflicts.delete(key);
  };
  ctx.toggle = (key, open) => {
    if (open) state.editing.add(key); else ctx.close(key);
    ctx.paint();
  };
  /** The note at `key` saying what someone else's change stopped, if any. */
  ctx.note = (key) => {
    const text = state.conflicts.get(key);
    return text ? conflictNotice(text, h('button', {
      type: 'button', class: 'btn btn-quiet btn-small', onclick: () => ctx.toggle(key, false),
    }, 'Dismiss'), key) : null;
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
    headlineBanner(ctx),
    state.notice ? notice(ctx) : null,
    ctx.note(`changed:${project.id}`),
    state.editing.has('project') ? editProject(ctx) : null,
    tabList({
      prefix: 'project',
      label: 'Project sections',
      selected: state.tab,
      onSelect: (id) => ctx.selectTab(id),
      items: TABS.map((t) => ({
        ...t,
        extra: t.id === 'compliance' && project.complianceReviewOverdue
          ? h('span', { class: 'tab-flag', title: 'The compliance review is overdue' }, icon('alert'),
            h('span', { class: 'visually-hidden' }, ' (review overdue)'))
          : null,
      })),
    }),
    tabPanel({ prefix: 'project', selected: state.tab }, panel(ctx)),
  ];
}

/** What the open tab shows. */
function panel(ctx) {
  const { state } = ctx;
  const build = PANELS[state.tab];
  if (build) {
    const tab = TABS.find((t) => t.id === state.tab);
    if (state.planError[tab.id]) return failure(state.planError[tab.id], () => ctx.load());
    if (!state.plan[tab.id]) return loading(`the ${tab.label} tab`);
    return build(ctx, state.plan[tab.id]);
  }
  return readiness(ctx);
}

function readiness(ctx) {
  const { project } = ctx.state;
  return [
    overview(project),
    scorecardSection(ctx),
    h('section', { class: 'checklists', 'aria-labelledby': 'checklists-heading' },
      h('h2', { id: 'checklists-heading', class: 'section-title' }, 'Checklists'),
      project.checklists.map((c) => checklist(ctx, c)),
      project.checklists.length ? null : empty({
        iconName: 'list',
        title: 'No checklists yet',
        body: can.edit()
          ? 'Group the work into checklists such as “Observability” or “Security review”, or start from a template, then add tasks.'
          : 'Nobody has added a checklist to this project yet.',
      }),
      can.edit() ? addChecklist(ctx) : null),
  ];
}

function notice(ctx) {
  const error = ctx.state.notice;
  const dismiss = h('button', {
    type: 'button', class: 'btn btn-quiet btn-small',
    onclick: () => { ctx.state.notice = null; ctx.paint(); },
  }, 'Dismiss');
  // An item someone else deleted: nothing the person did was wrong.
  if (error instanceof Changed) return conflictNotice(error.message, dismiss, 'gone');
  const text = error instanceof ConnectionError ? error.message : `That change was not saved: ${error.message}`;
  return h('div', { class: 'notice notice-error', role: 'alert' }, icon('alert'), h('span', {}, text), dismiss);
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
    await remove(paths.project(project.id), project);
  } catch (error) {
    if (error instanceof Changed) {
      await ctx.changed(error, `changed:${project.id}`, {
        changed: `Someone else changed “${project.name}” while you were looking at it, so it was not deleted. The page now shows what they saved; delete it again if you still want to.`,
        gone: `Someone else has already deleted “${project.name}”.`,
      }, `changed:${project.id}`);
      return;
    }
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
    conflict: ctx.state.conflicts.get('project'),
    fields: [
      { name: 'name', label: 'Project name', value: project.name, hint: '3 to 50 characters.' },
      { name: 'description', label: 'Description', optional: true, type: 'textarea', rows: 2, value: project.description ?? '' },
      { name: 'ownerEmail', label: 'Owner email', optional: true, type: 'email', value: project.ownerEmail ?? '' },
    ],
    // Only what the person changed is sent, so a change someone else made
    // to another field (or inside the project) stands and stops nothing.
    onSubmit: (values) => edit(paths.project(project.id), project, changes(project, {
      name: values.name,
      description: optional(values.description),
      ownerEmail: optional(values.ownerEmail),
    })),
    onError: async (error) => {
      if (!(error instanceof Changed)) return false;
      await ctx.changed(error, 'project', {
        changed: 'Someone else changed these details while you were editing them, so your change was not saved. The page now shows what they saved; what you typed is still here.',
        gone: `Someone else deleted “${project.name}” while you were editing it.`,
      }, `project:${project.id}`);
      return true;
    },
    onDone: async () => {
      ctx.close('project');
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

