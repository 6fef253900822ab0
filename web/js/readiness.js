// The words and small pieces of the readiness scorecard that several screens
// share: the four pillars, the scoring legend, the levels, a level badge, a
// pillar's score bar with its target marked, and a task's pillar tag. The
// ids are the API's and never change; the labels are what people read.

import { h } from './dom.js';

export const PILLARS = [
  { id: 'reliability', label: 'Reliability' },
  { id: 'security', label: 'Security' },
  { id: 'observability', label: 'Observability' },
  { id: 'supportability', label: 'Supportability' },
];

export const pillarLabel = (id) => PILLARS.find((p) => p.id === id)?.label ?? id;

/** The scoring legend, shown wherever a score is entered. */
export const LEGEND = [
  { score: 1, name: 'Nonexistent', text: 'nothing in place yet.' },
  { score: 2, name: 'Nascent', text: 'ad-hoc, unreliable.' },
  { score: 3, name: 'Emerging', text: 'repeatable for core paths, fragile under stress.' },
  { score: 4, name: 'Mature', text: 'consistent, documented, monitored.' },
  { score: 5, name: 'Operationalized', text: 'battle-tested, continuously improved.' },
];

export const scoreName = (score) => LEGEND.find((l) => l.score === score)?.name ?? '';

export const LEVELS = [
  { id: 'prototype', label: 'Prototype' },
  { id: 'hardened', label: 'Hardened' },
  { id: 'production-ready', label: 'Production-ready' },
  { id: 'operationalized', label: 'Operationalized' },
];

export const levelLabel = (id) => LEVELS.find((l) => l.id === id)?.label ?? id;
export const levelRank = (id) => LEVELS.findIndex((l) => l.id === id);

export function levelBadge(level, extra = '') {
  return h('span', { class: `level level-${level} ${extra}`, dataset: { testid: 'level' } }, levelLabel(level));
}

/** The legend as a list: "3 Emerging: repeatable for core paths, …". */
export function legendList(id) {
  return h('ol', { class: 'score-legend', id, 'aria-label': 'Scoring legend' },
    LEGEND.map((l) => h('li', { class: 'score-legend-item' },
      h('span', { class: 'score-legend-score', 'aria-hidden': 'true' }, String(l.score)),
      h('span', {}, h('strong', {}, l.name), ': ', l.text))));
}

/**
 * A pillar's score as a bar out of 5 with its target marked; before the
 * first assessment an empty bar that says so. Widths go through the CSSOM.
 */
export function pillarMeter(card, size = '') {
  const label = pillarLabel(card.pillar);
  const scored = typeof card.score === 'number';
  const text = scored
    ? `${card.score} of 5 (${scoreName(card.score)}), target ${card.target}`
    : 'not assessed yet';
  const fill = h('span', { class: 'meter-fill' });
  fill.style.width = `${scored ? card.score * 20 : 0}%`;
  const target = scored ? h('span', { class: 'meter-target', 'aria-hidden': 'true' }) : null;
  if (target) target.style.left = `${card.target * 20}%`;
  return h('div', {
    class: `meter pillar-${card.pillar} ${size} ${scored && card.score >= card.target ? 'is-met' : ''}`,
    role: 'meter',
    'aria-label': label,
    'aria-valuemin': 0,
    'aria-valuemax': 5,
    'aria-valuenow': scored ? card.score : 0,
    'aria-valuetext': text,
  }, fill, target);
}

/** A row of the overview: the pillar's name, its bar and "3/5". */
export function pillarRow(card) {
  const scored = typeof card.score === 'number';
  return h('li', { class: 'pillar-row', dataset: { pillar: card.pillar } },
    h('span', { class: 'pillar-row-name' }, pillarLabel(card.pillar)),
    pillarMeter(card, 'meter-small'),
    h('span', { class: 'pillar-row-value', 'aria-hidden': 'true' },
      scored ? `${card.score}/5` : '–',
      scored ? h('span', { class: 'pillar-row-target' }, ` · target ${card.target}`) : null));
}

/** A task's pillar, as a small tag. */
export function pillarTag(pillar) {
  return h('span', { class: `tag tag-${pillar}`, dataset: { testid: 'pillar' } }, pillarLabel(pillar));
}

export function requiredMark() {
  return h('span', { class: 'tag tag-required', dataset: { testid: 'required' },
    title: 'The readiness level waits for this task' }, 'Required');
}
