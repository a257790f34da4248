// A host shutdown as a timeline: one row per qvm process, its bar split by ladder step, the waves as
// bands, the deadline as a line, the critical path outlined. The same drawing for the last shutdown
// and for the dry run's worst case.
import { el, formatSeconds, svg } from './dom.js';
import type { Timeline } from './view.js';

const LABELS = 150;
const PLOT = 760;
const RIGHT = 120;
const TOP = 34;
const ROW = 18;
const BAR = 12;
const STEP_NAMES = { 'guest-command': 'guest command', 'power-button': 'power button (SIGTERM)', 'power-cut': 'power cut (SIGQUIT)' } as const;

export function renderTimeline(container: HTMLElement, t: Timeline | null, empty: string, clockOffsetMs: number): void {
  if (t === null) {
    container.replaceChildren(el('p', { class: 'empty' }, empty));
    return;
  }
  container.replaceChildren(el('p', { class: `caption${t.withinDeadline ? '' : ' over'}` }, caption(t, clockOffsetMs)), drawing(t));
  if (t.blockers.length > 0) container.append(el('ul', { class: 'blockers' }, ...t.blockers.map((b) => el('li', {}, b))));
}

function caption(t: Timeline, clockOffsetMs: number): string {
  const verdict = `${t.withinDeadline ? 'within' : 'OVER'} the deadline of ${formatSeconds(t.deadlineMs)}`;
  if (t.kind === 'budget') {
    const chain = t.criticalPath.length === 0 ? '' : ` (${t.criticalPath.join(' → ')})`;
    const nothing = t.bars.length === 0 ? ' No qvm process runs: nothing to stop.' : ' Every ladder step runs into its timeout.';
    return `If the host shut down now: worst case ${formatSeconds(t.totalMs)}${chain}, ${verdict}, counting at most ${formatSeconds(t.preludeMs)} for a reconcile pass under way to give way.${nothing}`;
  }
  const when = t.startedAt === null ? '' : ` on ${new Date(t.startedAt + clockOffsetMs).toLocaleString(undefined, { hour12: false })}`;
  const inferred = t.timingsRecorded ? '' : ' (recorded before step times were kept: bars inferred)';
  return `Last host shutdown${when}: ${t.status ?? 'unknown'} in ${formatSeconds(t.totalMs)}, ${verdict}${inferred}.`;
}

function drawing(t: Timeline): SVGSVGElement {
  // The deadline is on the scale unless it would squeeze the bars into a corner; then it is a mark
  // at the right edge, its value written out.
  const used = Math.max(t.totalMs, ...t.bars.map((b) => b.toMs ?? 0), 1);
  const span = (t.deadlineMs <= used * 3 ? Math.max(used, t.deadlineMs) : used) * 1.04;
  const x = (ms: number): number => LABELS + (ms / span) * PLOT;
  const height = TOP + t.bars.length * ROW + 18;
  const root = svg('svg', { class: 'timeline', 'data-kind': t.kind, width: LABELS + PLOT + RIGHT, height, viewBox: `0 0 ${LABELS + PLOT + RIGHT} ${height}`, role: 'img', 'aria-label': t.kind === 'last' ? 'last host shutdown' : 'shutdown worst case' });
  const rowOf = new Map(t.bars.map((b, i) => [b.guest, i]));
  const y = (row: number): number => TOP + row * ROW;

  // The waves as bands behind the rows.
  const bands = svg('g', { class: 'waves' });
  const waves = [...new Set(t.bars.map((b) => b.wave))];
  waves.forEach((wave, i) => {
    const rows = t.bars.flatMap((b, r) => (b.wave === wave ? [r] : []));
    const first = Math.min(...rows);
    const last = Math.max(...rows);
    bands.append(svg('rect', { class: `wave wave-${i % 2}`, 'data-wave': wave, x: 0, y: y(first) - 2, width: LABELS + PLOT + RIGHT, height: (last - first + 1) * ROW }),
      svg('text', { class: 'wave-label', x: LABELS + PLOT + RIGHT - 4, y: y(first) + BAR - 1, 'text-anchor': 'end' }, `wave ${wave}`));
  });
  root.append(bands);

  // Time axis.
  const axis = svg('g', { class: 'axis' });
  const step = tickStep(span);
  for (let ms = 0; ms <= span; ms += step) {
    axis.append(svg('line', { x1: x(ms), x2: x(ms), y1: TOP - 8, y2: height - 6, class: 'tick' }), svg('text', { x: x(ms), y: TOP - 12, 'text-anchor': 'middle' }, formatSeconds(ms)));
  }
  root.append(axis);

  if (t.kind === 'budget' && t.preludeMs > 0) {
    root.append(svg('rect', { class: 'prelude', x: x(0), y: TOP - 4, width: x(t.preludeMs) - x(0), height: height - TOP - 2 }, svg('title', {}, `at most ${formatSeconds(t.preludeMs)} for a reconcile pass under way to give up the pass lock`)));
  }

  const bars = svg('g', { class: 'bars' });
  for (const b of t.bars) {
    const row = rowOf.get(b.guest) ?? 0;
    const top = y(row);
    const g = svg('g', { class: `bar${b.critical ? ' critical' : ''} end-${b.end}`, 'data-guest': b.guest, 'data-wave': b.wave, 'data-critical': String(b.critical), 'data-end': b.end },
      svg('text', { class: 'guest', x: LABELS - 8, y: top + BAR - 1, 'text-anchor': 'end' }, b.guest));
    if (b.fromMs === null || b.toMs === null) {
      g.append(svg('text', { class: 'note', x: x(0) + 4, y: top + BAR - 1 }, `${b.end}: ${b.detail}`));
    } else {
      // The whole stop, under its steps: from when it began to when the qvm was gone (or left).
      g.append(svg('rect', { class: 'span', x: x(b.fromMs), y: top + BAR / 2 - 1, width: Math.max(1, x(b.toMs) - x(b.fromMs)), height: 2 }));
      for (const s of b.segments) {
        g.append(svg('rect', { class: `seg seg-${s.step}`, 'data-step': s.step, 'data-from-ms': s.fromMs, 'data-to-ms': s.toMs, x: x(s.fromMs), y: top, width: Math.max(1, x(s.toMs) - x(s.fromMs)), height: BAR },
          svg('title', {}, `${b.guest}: ${STEP_NAMES[s.step]} ${formatSeconds(s.fromMs)} → ${formatSeconds(s.toMs)}`)));
      }
      if (b.critical) g.append(svg('rect', { class: 'outline', x: x(b.fromMs) - 1, y: top - 1, width: Math.max(2, x(b.toMs) - x(b.fromMs) + 2), height: BAR + 2 }));
      g.append(svg('title', {}, `${b.guest} (pid ${b.pid}): ${b.detail}, ${formatSeconds(b.fromMs)} → ${formatSeconds(b.toMs)}`));
    }
    bars.append(g);
  }
  root.append(bars);

  const marker = (ms: number, cls: string, label: string, below: boolean): void => {
    const at = Math.min(x(ms), LABELS + PLOT + 4);
    root.append(svg('line', { class: cls, x1: at, x2: at, y1: TOP - 20, y2: height - 4, 'data-ms': ms }),
      svg('text', { class: `${cls}-label`, x: at + 3, y: below ? height - 2 : TOP - 22 }, label));
  };
  marker(t.deadlineMs, 'deadline', `deadline ${formatSeconds(t.deadlineMs)}${t.deadlineMs > span ? ' →' : ''}`, false);
  marker(t.totalMs, 'total', t.kind === 'budget' ? `worst case ${formatSeconds(t.totalMs)}` : `ended ${formatSeconds(t.totalMs)}`, true);
  return root;
}

// 1, 2 or 5 × a power of ten, for at most 10 ticks.
function tickStep(span: number): number {
  for (let p = 100; ; p *= 10) {
    for (const m of [1, 2, 5]) if (span / (m * p) <= 10) return m * p;
  }
}
