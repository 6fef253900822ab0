// A project's readiness scorecard: the level the rules grant and what is
// missing for the next one, then each pillar's current score against its
// target, its history as a chart (with the numbers in a table), the evidence
// behind it and its open tasks. Editors record a new assessment here; the
// printable report opens in a new tab.

import { paths } from '../api.js';
import { lineChart } from '../chart.js';
import { h, icon } from '../dom.js';
import { can } from '../session.js';
import { STATUS, badge, failure, formatDay, formatTime, loading, timeEl } from '../ui.js';
import {
  LEVELS, levelBadge, levelRank, pillarLabel, pillarMeter, pillarRow, requiredMark, scoreName,
} from '../readiness.js';
import { assessmentForm } from './assessment.js';

const axisDate = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short' });

export function scorecardSection(ctx) {
  const { state } = ctx;
  const heading = h('h2', { id: 'scorecard-heading', class: 'section-title', tabindex: '-1' }, 'Readiness scorecard');
  let body;
  if (state.readinessError) body = [failure(state.readinessError, () => ctx.load())];
  else if (!state.scorecard) body = [loading('the scorecard')];
  else {
    body = [
      state.editing.has('assessment') ? assessmentForm(ctx) : null,
      levelCard(state.scorecard),
      h('div', { class: 'pillars' }, state.scorecard.pillars.map((card) => pillarPanel(card, state.assessments ?? []))),
    ];
  }
  return h('section', { class: 'scorecard', 'aria-labelledby': 'scorecard-heading', dataset: { testid: 'scorecard' } },
    h('div', { class: 'scorecard-head' },
      h('div', { class: 'scorecard-title' }, heading, lastAssessed(state.assessments)),
      h('div', { class: 'scorecard-actions' }, actions(ctx))),
    body);
}

function lastAssessed(history) {
  if (!history) return null;
  if (!history.length) return h('p', { class: 'muted small' }, 'No assessment recorded yet');
  const last = history.at(-1);
  return h('p', { class: 'muted small' },
    `${history.length} assessment${history.length === 1 ? '' : 's'} · the latest `, timeEl(last.recordedAt));
}

function actions(ctx) {
  const open = ctx.state.editing.has('assessment');
  return [
    h('a', {
      class: 'btn', href: paths.report(ctx.projectId), target: '_blank', rel: 'noopener',
    }, icon('note'), 'Printable report', h('span', { class: 'visually-hidden' }, ' (opens in a new tab)')),
    can.edit() && ctx.state.scorecard ? h('button', {
      type: 'button', class: 'btn btn-primary', dataset: { key: 'record-assessment' },
      'aria-expanded': String(open),
      onclick: () => ctx.toggle('assessment', !open),
    }, icon('plus'), 'Record an assessment') : null,
  ];
}

/** The level, the ladder of levels, and the failing rules above it. */
function levelCard(card) {
  const rank = levelRank(card.level);
  const ladder = h('ol', { class: 'ladder', 'aria-label': 'Readiness levels' }, LEVELS.map((level, i) => h('li', {
    class: `ladder-step ${i <= rank ? 'is-reached' : ''} ${i === rank ? 'is-current' : ''}`,
    'aria-current': i === rank ? 'step' : null,
  }, h('span', { class: 'ladder-mark', 'aria-hidden': 'true' }, i <= rank ? icon('check') : String(i + 1)),
  h('span', { class: 'ladder-label' }, level.label),
  i <= rank ? h('span', { class: 'visually-hidden' }, ' (reached)') : null)));

  return h('div', { class: 'card level-card' },
    h('div', { class: 'level-now' },
      h('p', { class: 'eyebrow' }, 'Level'),
      levelBadge(card.level, 'level-large'),
      ladder,
      h('ul', { class: 'pillar-rows', 'aria-label': 'Pillar scores against their targets' }, card.pillars.map(pillarRow))),
    nextLevel(card));
}

function nextLevel(card) {
  if (!card.nextLevel) {
    return h('div', { class: 'next-level' },
      h('h3', { class: 'next-level-title' }, 'At the top level'),
      h('p', { class: 'muted' }, 'Every rule is met. Keep re-scoring after each release to stay here.'));
  }
  const levels = LEVELS.slice(levelRank(card.nextLevel));
  const groups = levels.map((level, i) => {
    const rules = card.rules.filter((r) => r.level === level.id);
    const failing = rules.filter((r) => !r.ok);
    if (!failing.length) return null;
    return h('div', { class: 'rule-group', dataset: { level: level.id } },
      h('h3', { class: 'next-level-title' }, i ? `Then, for ${level.label}` : `To reach ${level.label}`,
        ' ', h('span', { class: 'muted small next-level-count' }, `· ${rules.length - failing.length} of ${rules.length} met`)),
      h('ul', { class: 'rules' }, failing.map((r) => h('li', { class: 'rule' }, icon('alert'), h('span', {}, r.detail)))));
  });
  return h('div', { class: 'next-level', dataset: { testid: 'next-level' } }, groups);
}

function pillarPanel(card, history) {
  const label = pillarLabel(card.pillar);
  const id = `pillar-${card.pillar}`;
  const scored = typeof card.score === 'number';
  return h('article', { class: `card pillar pillar-${card.pillar}`, 'aria-labelledby': id, dataset: { pillar: card.pillar } },
    h('header', { class: 'pillar-head' },
      h('h3', { id, class: 'pillar-title' }, label),
      scored
        ? h('p', { class: 'pillar-score' },
          h('strong', { class: 'pillar-score-value' }, String(card.score)),
          h('span', { class: 'pillar-score-of' }, '/5 '),
          h('span', { class: 'pillar-score-name' }, scoreName(card.score)))
        : h('p', { class: 'muted' }, 'Not assessed yet')),
    pillarMeter(card),
    scored ? h('p', { class: 'pillar-facts' },
      card.score >= card.target ? badge(`Target ${card.target} met`, 'badge-success') : h('span', {}, `Target ${card.target}`),
      change(card)) : null,
    scored && history.length ? chart(card, history) : null,
    scored ? evidence(card) : null,
    openTasks(card));
}

function change(card) {
  if (!card.change) return h('span', { class: 'muted' }, 'No change since the first assessment');
  const up = card.change > 0;
  return h('span', { class: up ? 'change-up' : 'change-down' },
    `${up ? '+' : '−'}${Math.abs(card.change)} since the first assessment (from ${card.firstScore})`);
}

function chart(card, history) {
  const label = pillarLabel(card.pillar);
  const scores = history.map((a) => a.scores.find((s) => s.pillar === card.pillar)).filter(Boolean);
  const rows = history.filter((a) => a.scores.some((s) => s.pillar === card.pillar));
  const xs = rows.map((a) => Date.parse(a.recordedAt));
  const first = scores[0];
  const last = scores.at(-1);
  const summary = rows.length === 1
    ? `One assessment, on ${formatTime(rows[0].recordedAt)}: ${last.score} of 5, target ${last.target}.`
    : `${rows.length} assessments from ${formatTime(rows[0].recordedAt)} to ${formatTime(rows.at(-1).recordedAt)}. `
      + `The score went from ${first.score} to ${last.score} (${scoreName(last.score)}); the target is ${last.target}.`;
  return lineChart({
    title: `${label} score over time`,
    summary,
    xs,
    yMin: 1,
    yMax: 5,
    className: `pillar-${card.pillar}`,
    formatX: (ms) => axisDate.format(new Date(ms)),
    formatXLong: (ms) => formatTime(new Date(ms).toISOString()),
    tableLabel: `${label} scores as a table`,
    series: [
      { name: 'Score', values: scores.map((s) => s.score), className: 'chart-score', dots: true, format: (v) => `${v} (${scoreName(v)})` },
      { name: 'Target', values: scores.map((s) => s.target), className: 'chart-target', step: true },
    ],
  });
}

/** A link only when it really is http(s): the API checks, and so does the page. */
function safeLink(raw) {
  try {
    const url = new URL(raw);
    if (url.protocol === 'http:' || url.protocol === 'https:') {
      return h('a', { href: url.href, target: '_blank', rel: 'noopener noreferrer', class: 'break' }, raw);
    }
  } catch { /* shown as text */ }
  return h('span', { class: 'break' }, raw);
}

function evidence(card) {
  return h('div', { class: 'pillar-evidence' },
    card.evidence
      ? h('p', { class: 'evidence-text' }, card.evidence)
      : h('p', { class: 'muted small' }, 'No evidence written down.'),
    card.links.length
      ? h('ul', { class: 'evidence-links', 'aria-label': `${pillarLabel(card.pillar)} evidence links` },
        card.links.map((link) => h('li', {}, safeLink(link))))
      : null,
    card.owner || card.nextCheckpoint ? h('div', { class: 'meta' },
      card.owner ? h('span', { class: 'meta-item' }, icon('user'), h('span', {}, card.owner)) : null,
      card.nextCheckpoint ? h('span', { class: `meta-item ${card.overdue ? 'text-danger' : ''}` }, icon('calendar'),
        h('span', {}, `Next checkpoint ${formatDay(card.nextCheckpoint)}`)) : null,
      card.overdue ? badge('Checkpoint passed', 'badge-danger') : null) : null);
}

function openTasks(card) {
  const label = pillarLabel(card.pillar);
  const tasks = card.openTasks;
  return h('div', { class: 'pillar-tasks' },
    h('h4', { class: 'pillar-tasks-title' }, `Open tasks · ${tasks.length}`),
    tasks.length
      ? h('ul', { class: 'pillar-task-list', 'aria-label': `Open ${label.toLowerCase()} tasks` }, tasks.map((t) => h('li', { class: 'pillar-task' },
        h('span', { class: `status status-${t.status} status-small` },
          h('span', { class: 'status-dot', 'aria-hidden': 'true' }), STATUS[t.status]?.label ?? t.status),
        h('span', { class: 'pillar-task-title' }, t.title),
        t.required ? requiredMark() : null)))
      : h('p', { class: 'muted small' }, `No open ${label.toLowerCase()} tasks.`));
}
