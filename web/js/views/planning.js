// The North Star and the stakeholder canvas, two tabs of a project's page.
// The North Star is one sentence that defines "production-ready" for the
// project, the leading metric that shows progress and its target, with the
// alignment rows under it; the canvas lists who depends on the project.
// The headline also stands above every tab. An editor of a project with no
// North Star yet is asked to write one and finds its form open.

import { api, paths } from '../api.js';
import { h, icon } from '../dom.js';
import { can } from '../session.js';
import { announce, form } from '../ui.js';
import { planTable } from './plantable.js';

const ALIGNMENT = {
  id: 'alignment',
  title: 'Alignment',
  noun: 'alignment row',
  intro: 'What has to be true to reach the North Star: each goal with how it is measured, its deadline or guardrail, who depends on it, and its risks.',
  collection: paths.alignment,
  heading: (row) => row.goal,
  none: 'No alignment rows yet.',
  fields: [
    { name: 'goal', label: 'Goal or outcome', required: true, inHeading: true, wide: true, hint: 'Up to 200 characters.' },
    { name: 'successMetric', label: 'Success metric', placeholder: 'e.g. Monthly restore drill time' },
    { name: 'guardrail', label: 'Deadline or guardrail', placeholder: 'e.g. Before the first paying customer' },
    { name: 'stakeholders', label: 'Stakeholders', wide: true, hint: 'Who depends on it. Names are personal data: sealed at rest.' },
    { name: 'risks', label: 'Risks and mitigations', type: 'textarea', rows: 3, wide: true },
  ],
};

const STAKEHOLDERS = {
  id: 'stakeholders',
  title: 'Stakeholder canvas',
  noun: 'stakeholder',
  intro: 'Who depends on this project, what they need from it, and how you keep them informed. Everything here may name people, so it is sealed at rest; the report shows roles only unless personal data is asked for.',
  collection: paths.stakeholders,
  heading: (row) => row.role,
  none: 'No stakeholders yet.',
  fields: [
    { name: 'role', label: 'Role or group', required: true, inHeading: true, wide: true, hint: 'e.g. “Head of support” or “Pilot customers”. Up to 100 characters.' },
    { name: 'whyTheyCare', label: 'Why they care', type: 'textarea', rows: 2 },
    { name: 'success', label: 'What success looks like', type: 'textarea', rows: 2 },
    { name: 'cadence', label: 'Cadence and channel', placeholder: 'e.g. Weekly, #launch' },
    { name: 'owner', label: 'Owner', hint: 'Who keeps in touch with them.' },
    { name: 'risks', label: 'Risks or open questions', type: 'textarea', rows: 3, wide: true },
  ],
};

/** The North Star headline, on every tab; an editor is asked to write one. */
export function headlineBanner(ctx) {
  const { project } = ctx.state;
  if (project.headline) {
    return h('section', { class: 'headline', 'aria-label': 'North Star headline' },
      h('span', { class: 'headline-icon' }, icon('star')),
      h('div', {},
        h('p', { class: 'eyebrow' }, 'North Star'),
        h('p', { class: 'headline-text', dataset: { testid: 'headline' } }, project.headline)));
  }
  if (!can.edit()) return null;
  return h('section', { class: 'headline headline-empty', 'aria-label': 'North Star headline' },
    h('span', { class: 'headline-icon' }, icon('star')),
    h('p', { class: 'headline-text' }, 'No North Star yet: one sentence that defines “production-ready” for this project.'),
    ctx.state.tab === 'north-star' ? null : h('button', {
      type: 'button', class: 'btn btn-small', dataset: { key: 'write-north-star' },
      onclick: async () => {
        await ctx.selectTab('north-star');
        document.querySelector('[name="headline"]')?.focus();
      },
    }, 'Write the North Star'));
}

export function northStarPanel(ctx, star) {
  return [starCard(ctx, star), planTable(ctx, ALIGNMENT, star.rows)];
}

export function stakeholdersPanel(ctx, rows) {
  return planTable(ctx, STAKEHOLDERS, rows);
}

function starCard(ctx, star) {
  const blank = !star.headline;
  const editing = can.edit() && (blank || ctx.state.editing.has('north-star'));
  return h('section', { class: 'card north-star', 'aria-labelledby': 'north-star-heading' },
    h('div', { class: 'plan-table-head' },
      h('h2', { id: 'north-star-heading', class: 'card-title', tabindex: '-1' }, icon('star'), 'North Star'),
      can.edit() && !editing ? h('button', {
        type: 'button', class: 'btn btn-small', dataset: { key: 'edit-north-star' },
        onclick: () => ctx.toggle('north-star', true),
      }, icon('edit'), 'Edit North Star') : null),
    editing ? starForm(ctx, star) : starView(star));
}

function starView(star) {
  if (!star.headline && !star.leadingMetric && !star.metricTarget) {
    return h('p', { class: 'muted' }, 'No North Star has been written for this project yet.');
  }
  return h('dl', { class: 'plan-fields' },
    h('div', { class: 'plan-field is-wide' }, h('dt', {}, 'Headline'),
      h('dd', { class: 'north-star-headline' }, star.headline || '–')),
    h('div', { class: 'plan-field' }, h('dt', {}, 'Leading metric'), h('dd', {}, star.leadingMetric || '–')),
    h('div', { class: 'plan-field' }, h('dt', {}, 'Target'), h('dd', {}, star.metricTarget || '–')));
}

function starForm(ctx, star) {
  const blank = !star.headline;
  return form({
    key: `north-star:${ctx.projectId}`,
    className: 'plan-form',
    submit: 'Save North Star',
    intro: blank ? h('p', { class: 'plan-form-intro' },
      'Start here: write the one sentence that defines “production-ready” for this project, and the number that shows you are getting there.') : null,
    fields: [
      {
        name: 'headline', label: 'Headline', value: star.headline ?? '', wide: true, className: 'is-wide',
        placeholder: 'e.g. Ship daily without customer-visible downtime or data loss', hint: 'One sentence, up to 200 characters.',
      },
      { name: 'leadingMetric', label: 'Leading metric', optional: true, value: star.leadingMetric ?? '', placeholder: 'e.g. Successful deploys per week' },
      { name: 'metricTarget', label: 'Target', optional: true, value: star.metricTarget ?? '', placeholder: 'e.g. 5 a week, none rolled back' },
    ],
    // A PUT sets the whole record: a blank field is left out, which clears it.
    onSubmit: (values) => api.put(paths.northStar(ctx.projectId), Object.fromEntries(
      Object.entries(values).filter(([, v]) => v.trim()),
    )),
    onDone: async () => {
      ctx.state.editing.delete('north-star');
      await ctx.load();
      announce('North Star saved.');
      document.getElementById('north-star-heading')?.focus();
    },
    onCancel: blank ? null : () => ctx.toggle('north-star', false),
  });
}
