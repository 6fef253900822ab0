// Tabs that follow the WAI-ARIA tabs pattern: one tab stop for the whole
// list (the selected tab), arrow keys, Home and End move between tabs and
// select them, and the panel is labelled by its tab. The page decides what
// the panel holds; this builds the list and the panel's frame.

import { h } from './dom.js';

const tabId = (prefix, id) => `${prefix}-tab-${id}`;
const panelId = (prefix, id) => `${prefix}-panel-${id}`;

/**
 * options: prefix (names the ids), label (the list's name), items [{id,
 * label, extra}] where `extra` is a node shown after the label (a flag),
 * selected (an item's id), onSelect(id).
 */
export function tabList({ prefix, label, items, selected, onSelect }) {
  const list = h('div', { class: 'tabs', role: 'tablist', 'aria-label': label });
  const buttons = items.map((item) => h('button', {
    type: 'button',
    role: 'tab',
    class: 'tab',
    id: tabId(prefix, item.id),
    'aria-selected': String(item.id === selected),
    'aria-controls': panelId(prefix, item.id),
    tabindex: item.id === selected ? '0' : '-1',
    dataset: { key: `tab:${item.id}`, tab: item.id },
    onclick: () => { if (item.id !== selected) onSelect(item.id); },
  }, h('span', {}, item.label), item.extra ?? null));
  list.addEventListener('keydown', (event) => {
    const at = buttons.indexOf(document.activeElement);
    if (at < 0) return;
    const to = {
      ArrowRight: (at + 1) % buttons.length,
      ArrowLeft: (at - 1 + buttons.length) % buttons.length,
      Home: 0,
      End: buttons.length - 1,
    }[event.key];
    if (to === undefined) return;
    event.preventDefault();
    buttons[to].focus();
    onSelect(items[to].id);
  });
  list.append(...buttons);
  return list;
}

/** The panel of the selected tab, holding `children`. */
export function tabPanel({ prefix, selected }, ...children) {
  return h('div', {
    class: 'tab-panel',
    role: 'tabpanel',
    id: panelId(prefix, selected),
    'aria-labelledby': tabId(prefix, selected),
    dataset: { panel: selected },
  }, children);
}
