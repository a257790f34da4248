// The guests table: one row per guest, as `qvmctl status` has them; uptimes tick in the page.
import { el, formatDuration } from './dom.js';
import type { GuestRow, StatusPart } from './view.js';

export function renderGuests(body: HTMLElement, status: StatusPart, clockOffsetMs: number, selected: string | null): void {
  body.replaceChildren(...status.guests.map((g) => row(g, clockOffsetMs, selected)));
}

function row(g: GuestRow, clockOffsetMs: number, selected: string | null): HTMLTableRowElement {
  const holds = g.holds.map((h) => `${h.reason}${h.detail === '' ? '' : `: ${h.detail}`}`);
  if (g.lastError !== null) holds.push(`last step failed: ${g.lastError}`);
  if (g.stopRequested) holds.push('a stop was asked of it and it still runs');
  if (g.monitorLost) holds.push('monitor lost: its exit will not be recorded');
  const uptime = el('td', { 'data-col': 'uptime', class: 'num' });
  if (g.startedAt !== null && g.pid !== null) {
    uptime.dataset['started'] = String(g.startedAt + clockOffsetMs);
    uptime.textContent = formatDuration(Date.now() - (g.startedAt + clockOffsetMs));
  } else {
    uptime.textContent = '-';
  }
  const tr = el('tr', { 'data-guest': g.name, class: `phase-${g.phase}${g.name === selected ? ' selected' : ''}`, tabindex: '0' },
    el('td', { 'data-col': 'name', class: 'name' }, g.name),
    el('td', { 'data-col': 'desired' }, g.desired),
    el('td', { 'data-col': 'phase' }, el('span', { class: 'badge' }, g.phase)),
    el('td', { 'data-col': 'ready' }, g.pid === null ? '-' : g.ready ? 'yes' : 'no'),
    el('td', { 'data-col': 'pid', class: 'num' }, g.pid === null ? '-' : String(g.pid)),
    uptime,
    el('td', { 'data-col': 'restarts', class: 'num' }, String(g.restarts)),
    el('td', { 'data-col': 'last-exit' }, g.lastExit === null ? '-' : g.lastExit.text),
    el('td', { 'data-col': 'holds' }, holds.join('; ')),
  );
  return tr;
}

/** The uptime cells, once a second: no message from the daemon needed. */
export function tickUptimes(body: HTMLElement): void {
  const now = Date.now();
  for (const cell of body.querySelectorAll<HTMLElement>('td[data-started]')) {
    cell.textContent = formatDuration(now - Number(cell.dataset['started']));
  }
}
