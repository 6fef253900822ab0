// The form that records an assessment: every pillar scored from 1 to 5 on
// evidence, with a target, links, an owner and a next checkpoint. It starts
// from the latest assessment, shows the scoring legend, keeps drafts, and
// puts each error the API names (`scores[2].target`, `scores[0].links[1]`)
// under the input it is about.

import { api, paths } from '../api.js';
import { h, uid } from '../dom.js';
import { announce, form } from '../ui.js';
import { LEGEND, PILLARS, legendList, levelLabel } from '../readiness.js';

const SCORES = [['', 'Choose…'], ...LEGEND.map((l) => [String(l.score), `${l.score} · ${l.name}`])];

const at = (i, field) => `scores[${i}].${field}`;
const number = (raw) => (raw === '' ? null : Number(raw));
const lines = (raw) => raw.split('\n').map((line) => line.trim()).filter(Boolean);

function pillarFields(pillar, i, card) {
  const scored = typeof card?.score === 'number';
  return {
    legend: pillar.label,
    className: `assessment-pillar pillar-${pillar.id}`,
    fields: [
      { name: at(i, 'score'), label: 'Score', type: 'select', options: SCORES, value: scored ? String(card.score) : '', className: 'field-score' },
      { name: at(i, 'target'), label: 'Target', type: 'select', options: SCORES, value: scored ? String(card.target) : '', className: 'field-target' },
      { name: at(i, 'owner'), label: 'Owner', optional: true, value: card?.owner ?? '', className: 'field-owner', hint: 'Who answers for this pillar.' },
      { name: at(i, 'nextCheckpoint'), label: 'Next checkpoint', optional: true, type: 'date', value: card?.nextCheckpoint ?? '', className: 'field-checkpoint' },
      {
        name: at(i, 'evidence'),
        label: 'Evidence',
        type: 'textarea',
        rows: 3,
        value: card?.evidence ?? '',
        className: 'field-evidence',
        hint: 'What the score rests on (tests, dashboards, runbooks), up to 2,000 characters. No personal data.',
      },
      {
        name: at(i, 'links'),
        label: 'Links',
        optional: true,
        type: 'textarea',
        rows: 3,
        value: (card?.links ?? []).join('\n'),
        className: 'field-links',
        itemLabel: 'Link',
        hint: 'Up to 10 http or https URLs, one per line.',
      },
    ],
  };
}

function body(values) {
  return {
    scores: PILLARS.map((pillar, i) => {
      const score = {
        pillar: pillar.id,
        score: number(values[at(i, 'score')]),
        target: number(values[at(i, 'target')]),
        evidence: values[at(i, 'evidence')],
        links: lines(values[at(i, 'links')]),
      };
      const owner = values[at(i, 'owner')].trim();
      if (owner) score.owner = owner;
      if (values[at(i, 'nextCheckpoint')]) score.nextCheckpoint = values[at(i, 'nextCheckpoint')];
      return score;
    }),
  };
}

export function assessmentForm(ctx) {
  const { state, projectId } = ctx;
  const cards = state.scorecard?.pillars ?? [];
  const headingId = uid('assessment-heading');
  const legendId = uid('legend');
  const intro = h('div', { class: 'assessment-intro' },
    h('p', {}, state.assessments?.length
      ? 'Score every pillar from 1 to 5 on the evidence you have today. The form starts from the latest assessment; change what is different now.'
      : 'Score every pillar from 1 to 5 on the evidence you have today, and set the score you aim for.'),
    legendList(legendId),
    h('p', { class: 'hint' }, 'Evidence, links and checkpoints describe the system: keep personal data out of them. Only the owner names a person.'));
  const el = form({
    key: `assessment:${projectId}`,
    className: 'assessment-form',
    submit: 'Record assessment',
    intro,
    fields: PILLARS.map((pillar, i) => pillarFields(pillar, i, cards.find((c) => c.pillar === pillar.id))),
    onSubmit: (values) => api.post(paths.assessments(projectId), body(values)),
    onDone: async () => {
      state.editing.delete('assessment');
      await ctx.load();
      announce(`Assessment recorded. The level is ${levelLabel(state.scorecard?.level)}.`);
      document.getElementById('scorecard-heading')?.focus();
    },
    onCancel: () => ctx.toggle('assessment', false),
  });
  for (const select of el.querySelectorAll('.field-score select, .field-target select')) {
    select.setAttribute('aria-describedby', [select.getAttribute('aria-describedby'), legendId].filter(Boolean).join(' '));
    select.dataset.hintId = [select.dataset.hintId, legendId].filter(Boolean).join(' ');
  }
  return h('section', { class: 'card card-form assessment', 'aria-labelledby': headingId },
    h('h3', { id: headingId, class: 'card-title' }, 'Record an assessment'),
    el);
}
