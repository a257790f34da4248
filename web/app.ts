// The web view's page: a read-only picture of the host that follows the daemon's stream of
// server-sent events (docs/ui.md). No write action: it only ever GETs.
import { byId, el, formatClock } from './dom.js';
import { renderEvents, renderWhy } from './events.js';
import { renderGraph } from './graph.js';
import { renderGuests, tickUptimes } from './guests.js';
import { renderTimeline } from './timeline.js';
import type { EventsPart, GraphPart, ShutdownPart, StatusPart, WhyPart } from './view.js';

interface State {
  status: StatusPart | undefined;
  graph: GraphPart | undefined;
  shutdown: ShutdownPart | undefined;
  events: EventsPart | undefined;
  selected: string | null;
  /** The page's clock minus the daemon's, so that times and uptimes read in the page's own. */
  clockOffsetMs: number;
}

const state: State = { status: undefined, graph: undefined, shutdown: undefined, events: undefined, selected: null, clockOffsetMs: 0 };
let rendered = false;

function drawStatus(): void {
  const s = state.status;
  if (s === undefined) return;
  const d = s.daemon;
  const pass = d.lastPass === null ? 'no pass yet' : `pass ${d.lastPass.id} at ${formatClock(d.lastPass.endedAt + state.clockOffsetMs)}: ${d.lastPass.result}, ${d.lastPass.changes} change${d.lastPass.changes === 1 ? '' : 's'}`;
  const manifests = d.manifests.source === 'git' && d.manifests.commit !== null ? `commit ${d.manifests.commit.slice(0, 12)}` : `manifests ${d.manifests.status}`;
  const summary = byId('summary');
  summary.replaceChildren(
    el('span', {}, `host ${d.host.where}`),
    el('span', {}, `daemon pid ${d.pid}`),
    el('span', {}, manifests),
    el('span', {}, pass),
    el('span', {}, `${s.guests.length} guest${s.guests.length === 1 ? '' : 's'}, ${s.guests.filter((g) => g.phase === 'running').length} running`),
  );
  if (d.fenced) summary.append(el('span', { class: 'alert' }, 'FENCED: host shutdown, nothing starts'));
  if (d.manifests.usingLastGood) summary.append(el('span', { class: 'alert' }, `manifests ${d.manifests.status}: using the last good ones`));
  if (!d.host.reachable) summary.append(el('span', { class: 'alert' }, `host unreachable: ${d.host.error ?? ''}`));
  renderGuests(byId('guest-rows'), s, state.clockOffsetMs, state.selected);
}

function drawGraph(): void {
  if (state.graph !== undefined) renderGraph(byId('graph'), state.graph, state.selected);
}

function drawShutdown(): void {
  const s = state.shutdown;
  if (s === undefined) return;
  renderTimeline(byId('shutdown-last'), s.last, s.lastUnreadable ? 'The last shutdown\'s record cannot be read.' : 'No host shutdown recorded yet.', state.clockOffsetMs);
  renderTimeline(byId('shutdown-budget'), s.budget, 'No valid manifests loaded yet.', state.clockOffsetMs);
}

function drawEvents(): void {
  if (state.events !== undefined) renderEvents(byId('event-rows'), state.events, state.clockOffsetMs);
}

async function drawWhy(): Promise<void> {
  const guest = state.selected;
  byId('why-guest').textContent = guest ?? '';
  const list = byId('why');
  if (guest === null) {
    list.replaceChildren(el('li', { class: 'empty' }, 'Choose a guest in the table or the graph.'));
    return;
  }
  const answer = await fetch(`api/why/${encodeURIComponent(guest)}`, { headers: { accept: 'application/json' } });
  if (!answer.ok || state.selected !== guest) return;
  renderWhy(list, await answer.json() as WhyPart, state.clockOffsetMs);
}

function select(guest: string | null): void {
  state.selected = guest;
  for (const node of document.querySelectorAll('[data-guest].selected')) node.classList.remove('selected');
  if (guest !== null) for (const node of document.querySelectorAll(`[data-guest="${CSS.escape(guest)}"]`)) node.classList.add('selected');
  void drawWhy();
}

function onSelect(event: Event): void {
  const target = event.target instanceof Element ? event.target.closest('[data-guest]') : null;
  if (target === null || target.closest('.timeline') !== null) return;
  if (event instanceof KeyboardEvent && event.key !== 'Enter' && event.key !== ' ') return;
  select(target.getAttribute('data-guest'));
}

function firstRender(): void {
  if (rendered || state.status === undefined || state.graph === undefined || state.shutdown === undefined || state.events === undefined) return;
  rendered = true;
  // The benchmark's mark (bench/ui.ts): every panel drawn once.
  performance.mark('qvmctl-rendered');
  document.body.dataset['ready'] = 'true';
}

function connect(): void {
  const banner = byId('connection');
  const stream = new EventSource('api/stream');
  // Each named event carries one panel's JSON (web/view.ts).
  const on = (name: string, apply: (data: unknown) => void): void => {
    stream.addEventListener(name, (event) => {
      apply(JSON.parse((event as MessageEvent<string>).data));
      firstRender();
    });
  };
  on('status', (data) => {
    const s = data as StatusPart;
    state.clockOffsetMs = Date.now() - s.serverTime;
    state.status = s;
    drawStatus();
  });
  on('graph', (data) => { state.graph = data as GraphPart; drawGraph(); });
  on('shutdown', (data) => { state.shutdown = data as ShutdownPart; drawShutdown(); });
  on('events', (data) => {
    const e = data as EventsPart;
    state.events = e;
    drawEvents();
    if (state.selected !== null) void drawWhy();
  });
  stream.addEventListener('open', () => {
    banner.textContent = 'live';
    banner.className = 'live';
  });
  // EventSource reconnects by itself; the daemon then sends every panel afresh.
  stream.addEventListener('error', () => {
    banner.textContent = stream.readyState === EventSource.CLOSED ? 'disconnected' : 'reconnecting…';
    banner.className = 'down';
  });
}

byId('guest-rows').addEventListener('click', onSelect);
byId('guest-rows').addEventListener('keydown', onSelect);
byId('graph').addEventListener('click', onSelect);
byId('graph').addEventListener('keydown', onSelect);
setInterval(() => { tickUptimes(byId('guest-rows')); }, 1000);
void drawWhy();
connect();
