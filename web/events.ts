// Recent events, newest first, and one guest's chain of decisions (`qvmctl why`).
import { el, formatClock } from './dom.js';
import type { EventsPart, WhyPart } from './view.js';

export function renderEvents(body: HTMLElement, part: EventsPart, clockOffsetMs: number): void {
  body.replaceChildren(...part.events.map((e) => el('tr', { class: e.type === 'Warning' ? 'warning' : '' },
    el('td', { class: 'time' }, formatClock(e.time + clockOffsetMs)),
    el('td', {}, e.guest ?? ''),
    el('td', {}, e.reason),
    el('td', {}, `${e.message}${e.count > 1 ? ` (×${e.count})` : ''}`))));
}

export function renderWhy(list: HTMLElement, why: WhyPart, clockOffsetMs: number): void {
  if (why.decisions.length === 0) {
    list.replaceChildren(el('li', {}, 'No decision about it yet.'));
    return;
  }
  list.replaceChildren(...why.decisions.map((d) => el('li', { class: `kind-${d.kind}` },
    el('span', { class: 'time' }, formatClock(d.time + clockOffsetMs)), ' ',
    el('span', { class: 'pass' }, `pass ${d.pass}`), ' ',
    el('strong', {}, `${d.kind}: ${d.what}`), d.detail === '' ? '' : ` — ${d.detail}`)));
}
