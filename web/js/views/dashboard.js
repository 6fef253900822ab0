// The overview: how ready everything is (share of tasks done), counts by
// kind and status, and a page of projects, each with its readiness level, a
// bar per pillar (score out of 5, target marked) and a bar per checklist.
// A card also shows the project's North Star headline and flags a
// compliance review whose date has passed. Editors can start a new project
// from here, empty or from the guided kit.

import { ApiError, api, paths } from '../api.js';
import { h, icon } from '../dom.js';
import { can } from '../session.js';
import {
  STATUS, ago, badge, empty, failure, form, formatDay, isOverdue, loading, pageHeader, percent, progressBar,
  repaint, tally, tasksOf,
} from '../ui.js';
import { levelBadge, pillarRow } from '../readiness.js';

const PAGE_SIZE = 10;

export async function render(main, _params, app) {
  app.setTitle('Overview');
  const state = {
    cursors: [null],
    page: 0,
    projects: null,
    next: null,
    summary: null,
    scorecards: new Map(),
    error: null,
    creating: false,
  };

  const paint = () => repaint(main, () => view(state, { load, paint, app }));

  async function load() {
    state.error = null;
    const cursor = state.cursors[state.page];
    const query = `?limit=${PAGE_SIZE}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    try {
      const [page, summary] = await Promise.all([api.get(`/projects${query}`), fetchSummary()]);
      state.scorecards = await fetchScorecards(page.data);
      state.projects = page.data;
      state.next = page.next;
      state.summary = summary;
    } catch (error) {
      state.error = error;
    }
    if (app.alive()) paint();
  }

  main.replaceChildren(pageHeader({ title: 'Readiness overview' }), loading('projects'));
  await load();
}

/**
 * Each project's scorecard by id. One that cannot be read is left out, and
 * its card simply shows no pillars.
 */
async function fetchScorecards(projects) {
  const cards = await Promise.all(projects.map((p) => api.get(paths.scorecard(p.id)).then((r) => r.data, () => null)));
  return new Map(projects.map((p, i) => [p.id, cards[i]]));
}

/** The totals over all projects, or null when the server has no summary. */
async function fetchSummary() {
  try {
    return (await api.get('/summary')).data;
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return null;
    throw error;
  }
}

function view(state, ctx) {
  const newButton = can.edit() && !state.creating
    ? h('button', {
      type: 'button',
      class: 'btn btn-primary',
      dataset: { key: 'new-project' },
      onclick: () => { state.creating = true; ctx.paint(); document.getElementById('new-project-name')?.focus(); },
    }, icon('plus'), 'New project')
    : null;
  const header = pageHeader({
    title: 'Readiness overview',
    subtitle: 'How close every project is to production, at a glance.',
    actions: newButton,
  });
  if (state.error) return [header, failure(state.error, () => ctx.load())];
  if (!state.projects) return [header, loading('projects')];
  return [
    header,
    state.creating ? createProject(state, ctx) : null,
    summaryPanel(state),
    attention(state),
    projectsSection(state, ctx),
  ];
}

function createProject(state, ctx) {
  const close = () => { state.creating = false; ctx.paint(); };
  const el = form({
    key: 'new-project',
    submit: 'Create project',
    fields: [
      { name: 'name', id: 'new-project-name', label: 'Project name', placeholder: 'Checkout service', hint: '3 to 50 characters.' },
      { name: 'description', label: 'Description', optional: true, type: 'textarea', rows: 2, placeholder: 'What ships, and to whom' },
      { name: 'ownerEmail', label: 'Owner email', optional: true, type: 'email', placeholder: 'owner@example.com' },
      {
        name: 'starter', label: 'Start from the guided kit', type: 'checkbox', value: false,
        hint: 'Adds the Quick start checklist, a North Star to write and the compliance scan’s three questions; the four pillars wait for a Day-0 assessment.',
      },
    ],
    onSubmit: async (values) => {
      const body = { name: values.name };
      if (values.description.trim()) body.description = values.description;
      if (values.ownerEmail.trim()) body.ownerEmail = values.ownerEmail.trim();
      if (values.starter) body.starter = true;
      return (await api.post('/projects', body)).data;
    },
    onDone: (project) => ctx.app.navigate(`/projects/${project.id}`),
    onCancel: close,
  });
  return h('section', { class: 'card card-form', 'aria-labelledby': 'new-project-heading' },
    h('h2', { id: 'new-project-heading', class: 'card-title' }, 'New project'),
    el);
}

function summaryPanel(state) {
  const counts = state.summary
    ? { projects: state.summary.projects, checklists: state.summary.checklists, ...state.summary.tasks }
    : {
      projects: state.projects.length,
      checklists: state.projects.reduce((n, p) => n + p.checklists.length, 0),
      ...tally(state.projects.flatMap(tasksOf)),
    };
  const scope = state.summary ? 'across all projects' : 'on this page';
  const ready = percent(counts.done, counts.total);
  const segment = (kind, n) => {
    const part = h('span', { class: `stack-part stack-${kind}` });
    part.style.width = `${counts.total ? (n * 100) / counts.total : 0}%`;
    return part;
  };
  const legend = (kind, label, n) => h('div', { class: `legend-item legend-${kind}` },
    h('dt', {}, h('span', { class: 'legend-swatch', 'aria-hidden': 'true' }), label),
    h('dd', { dataset: { testid: `count-${kind}` } }, String(n)));

  return h('section', { class: 'summary', 'aria-label': 'Summary' },
    h('div', { class: 'card readiness' },
      h('p', { class: 'eyebrow' }, 'Overall readiness'),
      h('p', { class: 'readiness-value', dataset: { testid: 'overall' } }, `${ready}%`),
      progressBar(counts.done, counts.total, 'Overall readiness', 'progress-large'),
      h('p', { class: 'muted' }, counts.total
        ? `${counts.done} of ${counts.total} tasks done ${scope}`
        : `No tasks yet ${scope}`)),
    h('div', { class: 'card breakdown' },
      h('p', { class: 'eyebrow' }, 'Tasks by status'),
      h('div', { class: 'stack', 'aria-hidden': 'true' },
        segment('done', counts.done), segment('progress', counts.inProgress), segment('pending', counts.pending)),
      h('dl', { class: 'legend' },
        legend('done', 'Done', counts.done),
        legend('progress', 'In progress', counts.inProgress),
        legend('pending', 'Pending', counts.pending),
        legend('overdue', 'Overdue', counts.overdue))),
    h('dl', { class: 'stats' },
      stat('folder', 'Projects', counts.projects, 'projects'),
      stat('list', 'Checklists', counts.checklists, 'checklists'),
      stat('check', 'Tasks', counts.total, 'tasks')));
}

/** The overdue tasks of the projects on this page, oldest due date first. */
function attention(state) {
  const late = state.projects.flatMap((project) => project.checklists.flatMap((checklist) =>
    checklist.tasks.filter(isOverdue).map((task) => ({ project, checklist, task }))));
  if (!late.length) return null;
  late.sort((a, b) => a.task.dueDate.localeCompare(b.task.dueDate));
  const shown = late.slice(0, 5);
  return h('section', { class: 'card attention', 'aria-labelledby': 'attention-heading' },
    h('h2', { id: 'attention-heading', class: 'card-title' }, icon('alert'), 'Needs attention',
      badge(`${late.length} overdue`, 'badge-danger')),
    h('ul', { class: 'attention-list' }, shown.map(({ project, checklist, task }) => h('li', { class: 'attention-item' },
      h('span', { class: 'attention-due' }, icon('calendar'), `Due ${formatDay(task.dueDate)}`),
      h('span', { class: 'attention-title' }, task.title),
      h('span', { class: 'attention-where' },
        h('a', { href: `/projects/${project.id}` }, project.name), ` · ${checklist.name} · ${STATUS[task.status].label}`)))),
    late.length > shown.length ? h('p', { class: 'muted small' }, `And ${late.length - shown.length} more on this page.`) : null);
}

function stat(iconName, label, value, testid) {
  return h('div', { class: 'card stat' },
    h('span', { class: 'stat-icon' }, icon(iconName)),
    h('dt', {}, label),
    h('dd', { dataset: { testid: `count-${testid}` } }, String(value)));
}

function projectsSection(state, ctx) {
  const heading = h('div', { class: 'section-head' },
    h('h2', { id: 'projects-heading', class: 'section-title' }, 'Projects'),
    state.projects.length ? h('span', { class: 'muted' }, `Page ${state.page + 1}`) : null);
  if (!state.projects.length && state.page === 0) {
    return h('section', { 'aria-labelledby': 'projects-heading' }, heading, empty({
      title: 'No projects yet',
      body: can.edit()
        ? 'Create a project, give it checklists, and track every task on its way to production.'
        : 'Nobody has created a project yet.',
      action: can.edit() && !state.creating
        ? h('button', { type: 'button', class: 'btn btn-primary', onclick: () => { state.creating = true; ctx.paint(); } },
          icon('plus'), 'Create the first project')
        : null,
    }));
  }
  const go = (page) => {
    state.page = page;
    state.projects = null;
    ctx.paint();
    ctx.load().then(() => document.getElementById('projects-heading')?.focus());
  };
  const pager = h('nav', { class: 'pager', 'aria-label': 'Project pages' },
    h('button', {
      type: 'button', class: 'btn', disabled: state.page === 0, dataset: { key: 'prev' },
      onclick: () => go(state.page - 1),
    }, icon('chevronLeft'), 'Previous'),
    h('span', { class: 'pager-label' }, `Page ${state.page + 1}`),
    h('button', {
      type: 'button', class: 'btn', disabled: !state.next, dataset: { key: 'next' },
      onclick: () => { state.cursors[state.page + 1] = state.next; go(state.page + 1); },
    }, 'Next', icon('chevronRight')));
  heading.querySelector('h2').tabIndex = -1;
  return h('section', { 'aria-labelledby': 'projects-heading' },
    heading,
    h('ul', { class: 'project-grid' }, state.projects.map((p) => projectCard(p, state.scorecards.get(p.id)))),
    state.page > 0 || state.next ? pager : null);
}

function projectCard(project, scorecard) {
  const counts = tally(tasksOf(project));
  return h('li', { class: 'card project-card', dataset: { project: project.name } },
    h('div', { class: 'project-card-head' },
      h('div', { class: 'project-card-title' },
        h('h3', {}, h('a', { href: `/projects/${project.id}`, class: 'project-link' }, project.name)),
        scorecard ? h('p', { class: 'project-level' }, h('span', { class: 'visually-hidden' }, 'Level: '), levelBadge(scorecard.level)) : null,
        project.headline ? h('p', { class: 'project-headline', dataset: { testid: 'headline' } },
          icon('star'), h('span', {}, h('span', { class: 'visually-hidden' }, 'North Star: '), project.headline)) : null,
        project.description ? h('p', { class: 'muted clamp' }, project.description) : null),
      h('div', { class: 'score' },
        h('span', { class: 'score-value' }, `${percent(counts.done, counts.total)}%`),
        h('span', { class: 'muted small' }, `${counts.done}/${counts.total} done`))),
    progressBar(counts.done, counts.total, `${project.name} readiness`),
    h('div', { class: 'meta' },
      project.complianceReviewOverdue ? h('a', {
        class: 'badge badge-danger badge-link', href: `/projects/${project.id}?tab=compliance`, dataset: { testid: 'compliance-overdue' },
      }, icon('alert'), 'Compliance review overdue') : null,
      counts.overdue ? badge(`${counts.overdue} overdue`, 'badge-danger') : null,
      counts.inProgress ? badge(`${counts.inProgress} in progress`, 'badge-progress') : null,
      project.ownerEmail ? h('span', { class: 'meta-item' }, icon('user'), project.ownerEmail) : null,
      h('span', { class: 'meta-item' }, `Updated ${ago(project.updatedAt)}`)),
    scorecard ? pillars(project, scorecard) : null,
    project.checklists.length
      ? h('ul', { class: 'mini-checklists', 'aria-label': `${project.name} checklists` }, project.checklists.map((checklist) => {
        const c = tally(checklist.tasks);
        return h('li', { class: 'mini-checklist' },
          h('span', { class: 'mini-name' }, checklist.name),
          progressBar(c.done, c.total, `${checklist.name} readiness`, 'progress-small'),
          h('span', { class: 'mini-count' }, `${c.done}/${c.total}`));
      }))
      : h('p', { class: 'muted small' }, 'No checklists yet'));
}

/** The four pillars' current scores out of 5, each with its target marked. */
function pillars(project, scorecard) {
  const assessed = scorecard.pillars.some((p) => typeof p.score === 'number');
  return h('div', { class: 'project-pillars' }, assessed
    ? h('ul', { class: 'pillar-rows', 'aria-label': `${project.name} pillar scores` }, scorecard.pillars.map(pillarRow))
    : h('p', { class: 'muted small' }, 'Pillars not assessed yet'));
}
