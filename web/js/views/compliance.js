// The compliance notes, a tab of a project's page: the review rhythm (with
// a flag once the next review date has passed), the scan's three plain
// questions, whose answers can raise regulatory triggers, and the four
// tables: the data inventory, the triggers, the vendors and the reviews.

import { api, paths } from '../api.js';
import { h, icon } from '../dom.js';
import { can } from '../session.js';
import { announce, badge, form, formatDay } from '../ui.js';
import { planTable } from './plantable.js';

/** The standards and statuses by their API ids. */
export const STANDARDS = [
  ['gdpr', 'GDPR'], ['hipaa', 'HIPAA'], ['pci-dss', 'PCI DSS'], ['ferpa', 'FERPA'], ['coppa', 'COPPA'], ['other', 'Other'],
];
const STATUSES = [
  ['open', 'Open', ''], ['in-progress', 'In progress', 'badge-progress'], ['met', 'Met', 'badge-success'],
  ['not-applicable', 'Not applicable', ''],
];
const label = (pairs, id) => pairs.find(([v]) => v === id)?.[1] ?? id;
const isDate = (text) => /^\d{4}-\d{2}-\d{2}$/.test(text ?? '');

const section = (name) => (projectId) => paths.complianceRows(projectId, name);

const INVENTORY = {
  id: 'inventory',
  title: 'Data inventory',
  noun: 'data category',
  intro: 'What the service keeps, where it comes from, where it is stored, for how long, and who may read it.',
  collection: section('inventory'),
  heading: (row) => row.category,
  none: 'No data listed yet.',
  fields: [
    { name: 'category', label: 'Data category', required: true, inHeading: true, wide: true, placeholder: 'e.g. Customer emails' },
    { name: 'source', label: 'Source', placeholder: 'e.g. Sign-up form' },
    { name: 'storedIn', label: 'Where it is stored' },
    { name: 'retention', label: 'Retention', placeholder: 'e.g. Until the account is deleted' },
    { name: 'access', label: 'Who may access it', hint: 'Roles, not names.' },
  ],
};

const TRIGGERS = {
  id: 'triggers',
  title: 'Regulatory triggers',
  noun: 'trigger',
  intro: 'The standards and laws that may apply, why they do or do not, the controls they need, and where each stands.',
  collection: section('triggers'),
  heading: (row) => label(STANDARDS, row.standard),
  badges: (row) => {
    const [, text, kind] = STATUSES.find(([v]) => v === row.status) ?? [row.status, row.status, ''];
    return badge(text, kind);
  },
  none: 'No triggers yet. Answer the scan above, or add one.',
  fields: [
    { name: 'standard', label: 'Standard or law', type: 'select', required: true, inHeading: true, options: [['', 'Choose…'], ...STANDARDS] },
    { name: 'status', label: 'Status', type: 'select', inHeading: true, value: 'open', options: STATUSES.map(([v, l]) => [v, l]) },
    { name: 'reason', label: 'Why it applies, or not', type: 'textarea', rows: 2, wide: true },
    { name: 'controls', label: 'Controls required', type: 'textarea', rows: 2, wide: true },
  ],
};

const VENDORS = {
  id: 'vendors',
  title: 'Vendors and integrations',
  noun: 'vendor',
  intro: 'Every service that receives data, what it gets, and whether its compliance was checked.',
  collection: section('vendors'),
  heading: (row) => row.vendor,
  badges: (row) => (row.complianceVerified ? badge('Compliance verified', 'badge-success') : badge('Not verified', 'badge-progress')),
  none: 'No vendors listed yet.',
  fields: [
    { name: 'vendor', label: 'Vendor', required: true, inHeading: true, placeholder: 'e.g. Email delivery service' },
    { name: 'complianceVerified', label: 'Compliance verified', type: 'checkbox', inHeading: true, hint: 'A DPA, a SOC 2 report or similar was checked.' },
    { name: 'dataShared', label: 'Data shared', type: 'textarea', rows: 2, wide: true },
    { name: 'actions', label: 'Actions', type: 'textarea', rows: 2, wide: true },
  ],
};

const REVIEWS = {
  id: 'reviews',
  title: 'Review history',
  noun: 'review',
  intro: 'Each compliance review held. Production-ready needs one within the last year.',
  collection: section('reviews'),
  heading: (row) => formatDay(row.date),
  none: 'No review recorded yet.',
  fields: [
    { name: 'date', label: 'Date', type: 'date', required: true, inHeading: true },
    { name: 'reviewer', label: 'Reviewer' },
    { name: 'findings', label: 'Findings', type: 'textarea', rows: 3, wide: true },
  ],
};

export function compliancePanel(ctx, notes) {
  return [
    h('div', { class: 'compliance-top' }, rhythmCard(ctx, notes), scanCard(ctx, notes)),
    planTable(ctx, INVENTORY, notes.inventory),
    planTable(ctx, TRIGGERS, notes.triggers),
    planTable(ctx, VENDORS, notes.vendors),
    planTable(ctx, REVIEWS, notes.reviews),
  ];
}

function cardHead(id, title, iconName, button) {
  return h('div', { class: 'plan-table-head' },
    h('h2', { id, class: 'card-title', tabindex: '-1' }, icon(iconName), title), button);
}

function rhythmCard(ctx, notes) {
  const editing = can.edit() && ctx.state.editing.has('rhythm');
  const next = notes.nextReview;
  return h('section', { class: 'card rhythm', 'aria-labelledby': 'rhythm-heading' },
    cardHead('rhythm-heading', 'Review rhythm', 'calendar', can.edit() && !editing ? h('button', {
      type: 'button', class: 'btn btn-small', dataset: { key: 'edit-rhythm' },
      onclick: () => ctx.toggle('rhythm', true),
    }, icon('edit'), 'Edit rhythm') : null),
    notes.reviewOverdue ? h('p', { class: 'notice notice-error', dataset: { testid: 'review-overdue' } }, icon('alert'),
      h('span', {}, h('strong', {}, 'Review overdue. '), `The next review was due on ${formatDay(next)}.`)) : null,
    editing ? rhythmForm(ctx, notes) : h('dl', { class: 'plan-fields' },
      h('div', { class: 'plan-field' }, h('dt', {}, 'Last reviewed'),
        h('dd', {}, notes.lastReview ? formatDay(notes.lastReview) : 'Never')),
      h('div', { class: 'plan-field' }, h('dt', {}, 'Next review'),
        h('dd', { class: notes.reviewOverdue ? 'text-danger' : '', dataset: { testid: 'next-review' } },
          next ? (isDate(next) ? formatDay(next) : next) : 'Not planned')),
      h('div', { class: 'plan-field' }, h('dt', {}, 'Owner'), h('dd', {}, notes.owner || '–'))));
}

function rhythmForm(ctx, notes) {
  return form({
    key: `rhythm:${ctx.projectId}`,
    className: 'plan-form plan-form-narrow',
    submit: 'Save rhythm',
    fields: [
      { name: 'lastReviewed', label: 'Last reviewed', optional: true, type: 'date', value: notes.lastReviewed ?? '' },
      {
        name: 'nextReview', label: 'Next review', optional: true, value: notes.nextReview ?? '',
        hint: 'A date as YYYY-MM-DD, or a milestone such as “before the first pilot”.',
      },
      { name: 'owner', label: 'Owner', optional: true, value: notes.owner ?? '', hint: 'Who keeps the rhythm.' },
    ],
    onSubmit: (values) => {
      // The PUT sets the whole record, the scan's answers included: they are sent back as they are.
      const body = Object.fromEntries(Object.entries(values).map(([k, v]) => [k, v.trim()]).filter(([, v]) => v));
      if (notes.scan) body.scan = notes.scan;
      return api.put(paths.compliance(ctx.projectId), body);
    },
    onDone: async () => {
      ctx.state.editing.delete('rhythm');
      await ctx.load();
      announce('Review rhythm saved.');
      document.getElementById('rhythm-heading')?.focus();
    },
    onCancel: () => ctx.toggle('rhythm', false),
  });
}

const answered = (scan) => Boolean(scan && (scan.usersAndData || scan.regulatedIndustry || typeof scan.payments === 'boolean'));
const yesNo = (value) => (value === true ? 'Yes' : value === false ? 'No' : '');

function scanCard(ctx, notes) {
  const editing = can.edit() && (ctx.state.editing.has('scan') || !answered(notes.scan));
  const scan = notes.scan ?? {};
  return h('section', { class: 'card scan', 'aria-labelledby': 'scan-heading', dataset: { testid: 'scan' } },
    cardHead('scan-heading', 'Compliance scan', 'shield', can.edit() && !editing ? h('button', {
      type: 'button', class: 'btn btn-small', dataset: { key: 'edit-scan' },
      onclick: () => ctx.toggle('scan', true),
    }, icon('edit'), 'Change answers') : null),
    h('p', { class: 'muted small' }, 'Three plain questions. An answer that points to a standard adds it to the regulatory triggers.'),
    ctx.state.scanNote ? h('p', { class: 'notice notice-success', role: 'status' }, icon('check'), h('span', {}, ctx.state.scanNote)) : null,
    editing ? scanForm(ctx, notes) : h('dl', { class: 'scan-answers' }, notes.scanQuestions.map((q) => h('div', { class: 'scan-answer' },
      h('dt', {}, q.question),
      h('dd', { class: 'is-text' }, (q.field === 'payments' ? yesNo(scan.payments) : scan[q.field]) || h('span', { class: 'muted' }, 'Not answered'))))));
}

function scanForm(ctx, notes) {
  const scan = notes.scan ?? {};
  const before = new Set(notes.triggers.map((t) => t.id));
  return form({
    key: `scan:${ctx.projectId}`,
    className: 'scan-form',
    submit: 'Save answers',
    fields: notes.scanQuestions.map((q) => (q.field === 'payments'
      ? {
        name: q.field, label: q.question, type: 'select', value: yesNo(scan.payments).toLowerCase(),
        options: [['', 'Not answered'], ['yes', 'Yes'], ['no', 'No']],
      }
      : { name: q.field, label: q.question, type: 'textarea', rows: 2, optional: true, value: scan[q.field] ?? '' })),
    onSubmit: async (values) => {
      const body = {};
      for (const [field, value] of Object.entries(values)) {
        if (field === 'payments') { if (value) body.payments = value === 'yes'; } else if (value.trim()) body[field] = value;
      }
      return (await api.post(paths.scan(ctx.projectId), body)).data;
    },
    onDone: async (result) => {
      const raised = result.triggers.filter((t) => !before.has(t.id)).map((t) => label(STANDARDS, t.standard));
      ctx.state.scanNote = raised.length
        ? `The answers raised ${raised.length === 1 ? 'a trigger' : `${raised.length} triggers`}: ${raised.join(', ')}. Set their status under Regulatory triggers.`
        : 'Answers saved. They raised no new trigger.';
      ctx.state.editing.delete('scan');
      await ctx.load();
      announce(ctx.state.scanNote);
      document.getElementById('scan-heading')?.focus();
    },
    onCancel: answered(notes.scan) ? () => ctx.toggle('scan', false) : null,
  });
}
