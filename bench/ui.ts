// The web view (docs/ui.md) with many guests: `qvmctl run --ui-port 0` on the simulator with N
// guests in 5 dependency layers, the page opened in headless Chromium (test/helpers/browser.ts):
// - first paint (First Contentful Paint) and "every panel drawn once" (the page's own
//   `qvmctl-rendered` mark), from the start of the navigation, cold (a fresh browser context each),
//   beside the floor of the moment: the first paint of the page's heading and style sheet alone;
// - what the page weighs: DOM elements, the size of the first message of each panel, long tasks;
// - with 100 guests idle, the daemon's CPU over a window with no page open and with one open.
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { PASS_LOCK_PREEMPT_MS } from '../src/executor/pass-lock-hold.js';
import { fallbackShutdown } from '../src/planner/shutdown-plan.js';
import { eventsPart, graphPart, shutdownPart, statusPart } from '../src/render/web-view.js';
import { launchBrowser } from '../test/helpers/browser.js';
import { createDaemonHarness, guestYaml, waitFor, type DaemonHarness } from '../test/helpers/daemon-harness.js';
import { desired as desiredState, guest } from '../test/planner/fixtures.js';
import { statusOf } from '../test/render/status-fixture.js';

export interface UiPageFigures {
  readonly guests: number;
  /** The same browser's first paint of a one-line page of its own, in the same conditions. */
  readonly blankPaintMs: readonly number[];
  /** … and of a page of one heading and the web view's style sheet, from a server that does nothing else: the floor. */
  readonly staticPaintMs: readonly number[];
  readonly firstPaintMs: readonly number[];
  readonly renderedMs: readonly number[];
  readonly elements: number;
  readonly viewBytes: number;
  readonly longTasks: number;
  readonly pageHeightPx: number;
  readonly graphPx: { readonly width: number; readonly height: number };
}

export interface UiBenchResult {
  readonly pages: readonly UiPageFigures[];
  readonly idleGuests: number;
  readonly idleWindowMs: number;
  readonly cpuWithoutPagePercent: number;
  readonly cpuWithPagePercent: number;
  /** CPU of one update of every panel (built and serialized) for 100 guests, median of many. */
  readonly updateMs: number;
}

const ROUNDS = 3;
const median = (values: readonly number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;

async function startFleet(guests: number): Promise<{ h: DaemonHarness; url: string }> {
  const h = await createDaemonHarness({ interval: '30s' }, { git: false });
  await h.write('host.yaml', (await readFile(join(h.manifestDir, 'host.yaml'), 'utf8')).replace('commands:', 'concurrency: 16\n  commands:'));
  const layer = Math.ceil(guests / 5);
  for (let i = 0; i < guests; i++) {
    const level = Math.floor(i / layer);
    const j = i % layer;
    const deps = level === 0 ? [] : [...new Set([j % layer, (j * 7 + 3) % layer])].map((k) => `g${(level - 1) * layer + k}`).filter((d) => Number(d.slice(1)) < guests);
    await h.write(`g${i}.yaml`, guestYaml(`g${i}`, { knobs: 'boot-ms=50 shutdown-ms=50', spec: `  dependsOn: [${deps.join(', ')}]\n` }));
  }
  await h.startDaemon(['--log-level', 'info', '--ui-port', '0']);
  const url = await waitFor(async () => {
    const line = (await h.log()).find((l) => typeof l['msg'] === 'string' && l['msg'].startsWith('web view at '));
    return typeof line?.['url'] === 'string' ? line['url'] : undefined;
  }, { timeoutMs: 30_000 });
  await waitFor(async () => (await h.status()).guests.filter((g) => g.phase === 'running').length === guests, { timeoutMs: 300_000 });
  return { h, url };
}

async function measurePage(url: string, guests: number): Promise<UiPageFigures> {
  const chromium = await launchBrowser();
  try {
    const firstPaintMs: number[] = [];
    const renderedMs: number[] = [];
    const blankPaintMs: number[] = [];
    const staticPaintMs: number[] = [];
    let last: Omit<UiPageFigures, 'guests' | 'firstPaintMs' | 'renderedMs' | 'blankPaintMs' | 'staticPaintMs'> | undefined;
    const floor = await startStaticPage();
    for (let round = 0; round < ROUNDS; round++) {
      const context = await chromium.browser.createBrowserContext();
      const page = await context.newPage();
      await page.setViewport({ width: 1280, height: 900 });
      // Long tasks (over 50 ms) from the start: a page that janks shows them.
      await page.evaluateOnNewDocument('window.__longTasks = 0; new PerformanceObserver((l) => { window.__longTasks += l.getEntries().length; }).observe({ type: "longtask", buffered: true });');
      await page.goto(url);
      await page.waitForSelector('body[data-ready="true"]', { timeout: 60_000 });
      await page.waitForFunction(`document.querySelectorAll('#guest-rows tr').length === ${guests}`, { timeout: 60_000 });
      const figures = await page.evaluate(`(() => {
        const fcp = performance.getEntriesByName('first-contentful-paint')[0];
        const rendered = performance.getEntriesByName('qvmctl-rendered')[0];
        const svg = document.querySelector('svg.graph');
        return {
          firstPaintMs: fcp === undefined ? NaN : fcp.startTime,
          renderedMs: rendered === undefined ? NaN : rendered.startTime,
          elements: document.getElementsByTagName('*').length,
          longTasks: window.__longTasks,
          pageHeightPx: document.documentElement.scrollHeight,
          graphPx: { width: Number(svg?.getAttribute('width')), height: Number(svg?.getAttribute('height')) },
        };
      })()`) as { firstPaintMs: number; renderedMs: number; elements: number; longTasks: number; pageHeightPx: number; graphPx: { width: number; height: number } };
      firstPaintMs.push(Math.round(figures.firstPaintMs));
      renderedMs.push(Math.round(figures.renderedMs));
      last = { elements: figures.elements, viewBytes: 0, longTasks: figures.longTasks, pageHeightPx: figures.pageHeightPx, graphPx: figures.graphPx };
      const blank = await context.newPage();
      await blank.goto('data:text/html,<p>qvmctl</p>');
      await blank.waitForFunction('performance.getEntriesByName("first-contentful-paint").length > 0', { timeout: 30_000 });
      blankPaintMs.push(Math.round(Number(await blank.evaluate('performance.getEntriesByName("first-contentful-paint")[0].startTime'))));
      const plain = await context.newPage();
      await plain.goto(floor.url);
      await plain.waitForFunction('performance.getEntriesByName("first-contentful-paint").length > 0', { timeout: 30_000 });
      staticPaintMs.push(Math.round(Number(await plain.evaluate('performance.getEntriesByName("first-contentful-paint")[0].startTime'))));
      await context.close();
    }
    await new Promise((done) => floor.server.close(done));
    const view = await fetch(new URL('api/view', url));
    const viewBytes = (await view.arrayBuffer()).byteLength;
    if (last === undefined) throw new Error('no round');
    return { guests, blankPaintMs, staticPaintMs, firstPaintMs, renderedMs, ...last, viewBytes };
  } finally {
    await chromium.close();
  }
}

// A page with the web view's heading and style sheet and nothing else, from a server of its own.
async function startStaticPage(): Promise<{ server: Server; url: string }> {
  const css = await readFile(resolve(import.meta.dirname, '../web/style.css'));
  const html = '<!doctype html><html><head><meta charset="utf-8"><link rel="stylesheet" href="style.css"></head><body><header><h1>qvmctl</h1></header></body></html>';
  const server = createServer((req, res) => {
    if (req.url === '/style.css') res.writeHead(200, { 'content-type': 'text/css' }).end(css);
    else if (req.url === '/') res.writeHead(200, { 'content-type': 'text/html' }).end(html);
    else res.writeHead(404).end();
  });
  await new Promise<void>((done) => { server.listen(0, '127.0.0.1', done); });
  const address = server.address();
  return { server, url: `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}/` };
}

async function cpuTicks(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

async function cpuPercent(pid: number, windowMs: number): Promise<number> {
  const ticksPerSecond = Number((await execa('getconf', ['CLK_TCK'])).stdout);
  const before = await cpuTicks(pid);
  const t0 = Date.now();
  await new Promise((resolve) => setTimeout(resolve, windowMs));
  const used = (await cpuTicks(pid)) - before;
  return (used / ticksPerSecond) / ((Date.now() - t0) / 1000) * 100;
}

// The daemon idles (resync every 30 s) with 100 guests: its CPU without a page, then with one
// page open on the live stream for the same window.
async function measureIdleCpu(h: DaemonHarness, url: string, windowMs: number): Promise<{ without: number; with: number }> {
  const pid = h.daemon?.pid;
  if (pid === undefined) throw new Error('no daemon pid');
  const without = await cpuPercent(pid, windowMs);
  const chromium = await launchBrowser();
  try {
    const page = await chromium.newPage();
    await page.goto(url);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 60_000 });
    return { without, with: await cpuPercent(pid, windowMs) };
  } finally {
    await chromium.close();
  }
}

// What the daemon does for one update: every panel built from its view and serialized.
function measureUpdate(guests: number): number {
  const specs = Array.from({ length: guests }, (_, i) => guest(`g${i}`, { dependsOn: i < 20 ? [] : [`g${i - 20}`, `g${(i * 7) % 20 + Math.floor(i / 20 - 1) * 20}`] }));
  const state = desiredState(specs);
  const statuses = specs.map((s) => statusOf(s.name));
  const events = Array.from({ length: 500 }, (_, i) => ({ time: i, guest: `g${i % guests}`, type: 'Normal', reason: 'Started', message: `pid ${i}, ready`, count: 1 }));
  const summary = { pid: 1, fenced: false, passes: 1, lastPass: undefined, manifests: { status: 'ok', source: 'git', usingLastGood: false, errors: 0 }, host: { where: 'local', reachable: true }, guests: statuses };
  const times: number[] = [];
  for (let i = 0; i < 60; i++) {
    const t0 = process.hrtime.bigint();
    JSON.stringify(statusPart(summary, Date.now()));
    JSON.stringify(graphPart(state, statuses));
    JSON.stringify(shutdownPart({ desired: state, guests: statuses, record: undefined, fallbackShutdown: fallbackShutdown(state.host), passLockWaitMs: PASS_LOCK_PREEMPT_MS }));
    JSON.stringify(eventsPart(events));
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return median(times.slice(10));
}

export async function benchUi(): Promise<UiBenchResult> {
  const sizes = (process.env['BENCH_UI_GUESTS'] ?? '100,200').split(',').map(Number);
  const idleWindowMs = Number(process.env['BENCH_UI_IDLE_MS'] ?? 30_000);
  const pages: UiPageFigures[] = [];
  let idle = { without: Number.NaN, with: Number.NaN };
  let idleGuests = 0;
  for (const guests of sizes) {
    const { h, url } = await startFleet(guests);
    try {
      pages.push(await measurePage(url, guests));
      if (guests === (sizes.includes(100) ? 100 : sizes[0])) {
        idle = await measureIdleCpu(h, url, idleWindowMs);
        idleGuests = guests;
      }
    } finally {
      await h.cleanup();
    }
  }
  return { pages, idleGuests, idleWindowMs, cpuWithoutPagePercent: idle.without, cpuWithPagePercent: idle.with, updateMs: measureUpdate(100) };
}

export function formatUiBench(r: UiBenchResult): string[] {
  return [
    ...r.pages.map((p) => `${p.guests} guests: first paint median ${median(p.firstPaintMs)} ms [${p.firstPaintMs.join(', ')}] (floor: heading and style sheet alone ${median(p.staticPaintMs)} ms [${p.staticPaintMs.join(', ')}], a data: page ${median(p.blankPaintMs)} ms [${p.blankPaintMs.join(', ')}]), every panel drawn median ${median(p.renderedMs)} ms [${p.renderedMs.join(', ')}] (target first paint < 500 ms at 100); ${p.elements} elements, api/view ${(p.viewBytes / 1024).toFixed(0)} KB, ${p.longTasks} long tasks, page ${p.pageHeightPx} px tall, graph ${p.graphPx.width}×${p.graphPx.height} px`),
    `daemon CPU, ${r.idleGuests} idle guests over ${r.idleWindowMs / 1000} s: ${r.cpuWithoutPagePercent.toFixed(2)} % without a page, ${r.cpuWithPagePercent.toFixed(2)} % with one page on the live stream (target: < 1 % more); one update of every panel for 100 guests costs ${r.updateMs.toFixed(2)} ms of CPU`,
  ];
}
