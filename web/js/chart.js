// Line charts as inline SVG, drawn to the width they are given (a
// ResizeObserver redraws them), so labels stay readable on a phone. Colours
// and line styles come from classes in app.css; the SVG carries only
// presentation attributes, never a style attribute, as the CSP requires.
//
// The chart is one tab stop: focused, the arrow keys (and Home, End) step
// through the points and a live line below says the point's values; a
// pointer does the same on hover. A summary describes the chart, and the
// same numbers sit in a table under a toggle.

import { h, uid } from './dom.js';

const NS = 'http://www.w3.org/2000/svg';
const PAD = { top: 12, right: 16, bottom: 28, left: 30 };
/** The least room between two date labels on the x axis, in pixels. */
const LABEL_GAP = 76;

function svg(tag, attrs = {}, text) {
  const el = document.createElementNS(NS, tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value !== null && value !== undefined) el.setAttribute(key, String(value));
  }
  if (text !== undefined) el.textContent = text;
  return el;
}

/** Which points get a date label: spaced out from the left, the last always. */
function labelled(positions) {
  const picked = [];
  positions.forEach((x, i) => {
    if (!picked.length || x - positions[picked.at(-1)] >= LABEL_GAP) picked.push(i);
  });
  const last = positions.length - 1;
  if (picked.at(-1) !== last) {
    if (picked.length > 1 && positions[last] - positions[picked.at(-1)] < LABEL_GAP) picked.pop();
    picked.push(last);
  }
  return picked;
}

/**
 * spec: title, summary (what the chart shows, in words), xs (times in ms,
 * ascending), series [{name, values, className, step, dots, format(value)}],
 * yMin, yMax, formatX(ms) (axis), formatXLong(ms) (readout and table),
 * height, className, tableLabel.
 */
export function lineChart(spec) {
  const { xs, series, yMin, yMax } = spec;
  const titleId = uid('chart-title');
  const summaryId = uid('chart-summary');
  const plot = svg('svg', {
    class: 'chart-svg',
    role: 'img',
    tabindex: 0,
    focusable: 'true',
    'aria-labelledby': titleId,
    'aria-describedby': summaryId,
  });
  const canvas = h('div', { class: 'chart-canvas' }, plot);
  const readout = h('p', { class: 'chart-readout', 'aria-live': 'polite', dataset: { testid: 'chart-readout' } });
  let width = 0;
  let active = xs.length - 1;
  /** Each point's x in pixels, as last drawn. */
  let positions = [];

  const describe = (i) => `${spec.formatXLong(xs[i])}: ${series
    .map((s) => `${s.name.toLowerCase()} ${s.format ? s.format(s.values[i]) : s.values[i]}`).join(', ')}`;

  function draw() {
    const height = spec.height ?? 168;
    plot.replaceChildren();
    plot.setAttribute('viewBox', `0 0 ${width} ${height}`);
    plot.setAttribute('width', width);
    plot.setAttribute('height', height);
    const inner = { w: Math.max(width - PAD.left - PAD.right, 10), h: height - PAD.top - PAD.bottom };
    const first = xs[0];
    const spanX = xs.at(-1) - first;
    const xAt = (i) => (spanX ? PAD.left + ((xs[i] - first) / spanX) * inner.w : PAD.left + inner.w / 2);
    const yAt = (v) => PAD.top + ((yMax - v) / (yMax - yMin)) * inner.h;

    const grid = svg('g', { class: 'chart-grid', 'aria-hidden': 'true' });
    for (let v = yMin; v <= yMax; v += 1) {
      grid.append(
        svg('line', { x1: PAD.left, x2: width - PAD.right, y1: yAt(v), y2: yAt(v) }),
        svg('text', { class: 'chart-axis', x: PAD.left - 10, y: yAt(v), 'text-anchor': 'end', 'dominant-baseline': 'middle' }, String(v)),
      );
    }
    positions = xs.map((_, i) => xAt(i));
    for (const i of xs.length ? labelled(positions) : []) {
      let anchor = 'middle';
      if (spanX && i === 0) anchor = 'start';
      else if (spanX && i === xs.length - 1) anchor = 'end';
      grid.append(svg('text', { class: 'chart-axis', x: positions[i], y: height - 8, 'text-anchor': anchor }, spec.formatX(xs[i])));
    }
    plot.append(grid);

    if (document.activeElement === plot || plot.matches(':hover')) {
      plot.append(svg('line', {
        class: 'chart-guide', x1: positions[active], x2: positions[active], y1: PAD.top, y2: PAD.top + inner.h,
      }));
    }
    for (const s of series) {
      const points = s.values.map((v, i) => [positions[i], yAt(v)]);
      let d;
      if (s.step) {
        d = points.length === 1
          ? `M${PAD.left},${points[0][1]}H${width - PAD.right}`
          : points.map(([x, y], i) => (i ? `H${x}V${y}` : `M${x},${y}`)).join('');
      } else {
        d = points.map(([x, y], i) => `${i ? 'L' : 'M'}${x},${y}`).join('');
      }
      const group = svg('g', { class: `chart-series ${s.className ?? ''}`, 'aria-hidden': 'true' });
      group.append(svg('path', { class: 'chart-line', d, fill: 'none' }));
      if (s.dots) {
        points.forEach(([x, y], i) => group.append(svg('circle', {
          class: `chart-dot ${i === active ? 'is-active' : ''}`, cx: x, cy: y, r: i === active ? 5.5 : 3.5,
        })));
      }
      plot.append(group);
    }
  }

  function show(i) {
    active = Math.max(0, Math.min(xs.length - 1, i));
    readout.textContent = describe(active);
    if (width) draw();
  }

  plot.addEventListener('keydown', (event) => {
    const step = { ArrowRight: 1, ArrowUp: 1, ArrowLeft: -1, ArrowDown: -1 }[event.key];
    if (step) show(active + step);
    else if (event.key === 'Home') show(0);
    else if (event.key === 'End') show(xs.length - 1);
    else return;
    event.preventDefault();
  });
  plot.addEventListener('focus', () => show(active));
  plot.addEventListener('blur', () => { if (width) draw(); });
  plot.addEventListener('pointermove', (event) => {
    const x = event.clientX - plot.getBoundingClientRect().left;
    const distance = (i) => Math.abs(positions[i] - x);
    const nearest = positions.reduce((best, _, i) => (distance(i) < distance(best) ? i : best), 0);
    if (positions.length && nearest !== active) show(nearest);
  });
  plot.addEventListener('pointerleave', () => { if (width) draw(); });

  if (typeof ResizeObserver === 'function') {
    new ResizeObserver((entries) => {
      const next = Math.floor(entries[0].contentRect.width);
      if (next && next !== width) {
        width = next;
        draw();
      }
    }).observe(canvas);
  }
  if (xs.length) readout.textContent = describe(active);

  return h('figure', { class: `chart ${spec.className ?? ''}` },
    h('figcaption', { id: titleId, class: 'visually-hidden' }, spec.title),
    canvas,
    h('ul', { class: 'chart-legend', 'aria-hidden': 'true' }, series.map((s) => h('li', { class: s.className ?? '' },
      h('span', { class: 'chart-key' }), s.name))),
    readout,
    h('p', { id: summaryId, class: 'visually-hidden' }, spec.summary),
    table(spec));
}

/** The chart's numbers as a table, under a toggle. */
function table(spec) {
  return h('details', { class: 'chart-table' },
    h('summary', {}, spec.tableLabel ?? 'Show as a table'),
    h('div', { class: 'table-wrap' },
      h('table', { class: 'table table-compact' },
        h('caption', { class: 'visually-hidden' }, spec.title),
        h('thead', {}, h('tr', {},
          h('th', { scope: 'col' }, 'Recorded'),
          spec.series.map((s) => h('th', { scope: 'col' }, s.name)))),
        h('tbody', {}, spec.xs.map((x, i) => h('tr', {},
          h('th', { scope: 'row' }, spec.formatXLong(x)),
          spec.series.map((s) => h('td', {}, s.format ? s.format(s.values[i]) : String(s.values[i])))))))));
}
