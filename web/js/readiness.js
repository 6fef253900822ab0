// The words and small pieces of readiness that several screens share: the
// four pillars and a task's pillar tag and "required" mark. The ids are the
// API's and never change; the labels are what people read.

import { h } from './dom.js';

export const PILLARS = [
  { id: 'reliability', label: 'Reliability' },
  { id: 'security', label: 'Security' },
  { id: 'observability', label: 'Observability' },
  { id: 'supportability', label: 'Supportability' },
];

export const pillarLabel = (id) => PILLARS.find((p) => p.id === id)?.label ?? id;

/** A task's pillar, as a small tag. */
export function pillarTag(pillar) {
  return h('span', { class: `tag tag-${pillar}`, dataset: { testid: 'pillar' } }, pillarLabel(pillar));
}

export function requiredMark() {
  return h('span', { class: 'tag tag-required', dataset: { testid: 'required' },
    title: 'The readiness level waits for this task' }, 'Required');
}
