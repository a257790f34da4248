// The daemon's web view in a real headless Chromium: `qvmctl run --ui-port 0` on the simulator, the
// page opened once and watched as the host changes under it (a reboot from inside the guest, a host
// shutdown), the graph and both shutdown timelines checked bar by bar, screenshots kept in
// test-artifacts/ui/. The steps build on each other, in order.
import { request } from 'node:http';
import { join } from 'node:path';
import type { Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PHASE_COLORS } from '../../src/render/guest-graph.js';
import { launchBrowser, screenshot, type TestBrowser } from '../helpers/browser.js';
import { createDaemonHarness, hostYaml, waitFor, type DaemonHarness } from '../helpers/daemon-harness.js';
import { journalViolations } from '../helpers/runtime-harness.js';
import { hostCommand } from '../helpers/shutdown-fleet.js';

interface Ladder { readonly command: boolean; readonly guestTimeout: number; readonly powerButtonTimeout: number; readonly powerCut?: number }

// The cockpit fleet: svc ← {cluster, ivi, telematics}, ivi ← rear-seat; each stops its own way.
const FLEET: Readonly<Record<string, { readonly deps: readonly string[]; readonly knobs: string; readonly ladder: Ladder }>> = {
  svc: { deps: [], knobs: 'boot-ms=50 shutdown-ms=150', ladder: { command: true, guestTimeout: 2_000, powerButtonTimeout: 2_000 } },
  cluster: { deps: ['svc'], knobs: 'boot-ms=50 shutdown-ms=50 ignore-guest-shutdown ignore-power-button', ladder: { command: true, guestTimeout: 300, powerButtonTimeout: 300, powerCut: 2_000 } },
  ivi: { deps: ['svc'], knobs: 'boot-ms=50 shutdown-ms=200 ignore-guest-shutdown', ladder: { command: true, guestTimeout: 300, powerButtonTimeout: 2_000 } },
  'rear-seat': { deps: ['ivi'], knobs: 'boot-ms=50 shutdown-ms=100', ladder: { command: true, guestTimeout: 2_000, powerButtonTimeout: 2_000 } },
  telematics: { deps: ['svc'], knobs: 'boot-ms=50 shutdown-ms=100', ladder: { command: false, guestTimeout: 2_000, powerButtonTimeout: 1_500 } },
};
const DEADLINE_MS = 9_000;

function guestYaml(name: string): string {
  const g = FLEET[name];
  if (g === undefined) throw new Error(name);
  const l = g.ladder;
  return `apiVersion: qvmctl/v1
kind: Guest
metadata: { name: ${name} }
spec:
  qvm:
    config: |
      # qvm-sim: ${g.knobs}
      system ${name}
      ram 0x80000000,64M
      cpu
  dependsOn: [${g.deps.join(', ')}]
  shutdown:
${l.command ? '    guestCommand: [qvm-sim, guest, "{system}", shutdown]\n' : ''}    guestTimeout: ${l.guestTimeout}ms
    powerButtonTimeout: ${l.powerButtonTimeout}ms
${l.powerCut === undefined ? '' : `    allowPowerCut: true\n    powerCutTimeout: ${l.powerCut}ms\n`}`;
}

function post(stateDir: string, path: string, body: string, headers: Record<string, string> = {}): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: join(stateDir, 'qvmctl.sock'), path, method: 'POST', headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => { resolve({ status: res.statusCode ?? 0, text }); });
    });
    req.on('error', reject);
    req.end(body);
  });
}

function get(options: { socketPath?: string; port?: number; path: string; headers?: Record<string, string> }): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ ...(options.socketPath === undefined ? { host: '127.0.0.1', port: options.port } : { socketPath: options.socketPath }), path: options.path, headers: options.headers ?? {} }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => { resolve({ status: res.statusCode ?? 0, headers: res.headers, text }); });
    });
    req.on('error', reject);
    req.end();
  });
}

interface DrawnBar { guest: string; wave: number; critical: boolean; end: string; segments: { step: string; fromMs: number; toMs: number; width: number }[] }

// The bars of one timeline as the page drew them.
async function barsOf(page: Page, kind: 'last' | 'budget'): Promise<DrawnBar[]> {
  return page.$$eval(`svg.timeline[data-kind="${kind}"] g.bar`, (bars) => bars.map((b) => ({
    guest: b.getAttribute('data-guest') ?? '',
    wave: Number(b.getAttribute('data-wave')),
    critical: b.getAttribute('data-critical') === 'true',
    end: b.getAttribute('data-end') ?? '',
    segments: [...b.querySelectorAll('rect.seg')].map((s) => ({
      step: s.getAttribute('data-step') ?? '',
      fromMs: Number(s.getAttribute('data-from-ms')),
      toMs: Number(s.getAttribute('data-to-ms')),
      width: Number(s.getAttribute('width')),
    })),
  })));
}

const hexToRgb = (hex: string): string => `rgb(${[1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)).join(', ')})`;

describe('the web view in a browser', () => {
  let h: DaemonHarness;
  let chromium: TestBrowser;
  let page: Page;
  let url: string;
  const requests: string[] = [];
  const problems: string[] = [];

  beforeAll(async () => {
    h = await createDaemonHarness({ interval: '10m' });
    await h.write('host.yaml', `${hostYaml(h.stateDir)}  shutdown:\n    command: ${JSON.stringify(hostCommand(h.stateDir, 'poweroff'))}\n    deadline: ${DEADLINE_MS}ms\n`);
    for (const name of Object.keys(FLEET)) await h.write(`${name}.yaml`, guestYaml(name));
    await h.commit('the cockpit fleet');
    await h.startDaemon(['--ui-port', '0']);
    url = await waitFor(async () => {
      const line = (await h.log()).find((l) => typeof l['msg'] === 'string' && l['msg'].startsWith('web view at '));
      return typeof line?.['url'] === 'string' ? line['url'] : undefined;
    }, { timeoutMs: 20_000, message: 'the web view\'s address in the log' });
    await waitFor(async () => (await h.status()).guests.filter((g) => g.phase === 'running').length === 5, { timeoutMs: 30_000, message: 'five guests run' });
    chromium = await launchBrowser();
    page = await chromium.newPage();
    page.on('request', (r) => { requests.push(`${r.method()} ${r.url()}`); });
    page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warn') problems.push(m.text()); });
    page.on('pageerror', (e) => { problems.push(e instanceof Error ? e.message : String(e)); });
  });

  afterAll(async () => {
    await chromium.close();
    const journal = await h.journal();
    await h.cleanup();
    expect(journalViolations(journal)).toEqual([]);
  });

  it('shows every guest and follows a reboot from inside the guest live, without a reload', async () => {
    await page.goto(url);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 20_000 });
    await page.waitForFunction(() => [...document.querySelectorAll('#guest-rows tr')].filter((r) => r.querySelector('[data-col="phase"]')?.textContent === 'running').length === 5, { timeout: 20_000 });
    const names = await page.$$eval('#guest-rows tr', (rows) => rows.map((r) => r.getAttribute('data-guest')));
    expect(names).toEqual(['cluster', 'ivi', 'rear-seat', 'svc', 'telematics']);
    const before = await h.guest('rear-seat');
    const cell = (guest: string, col: string): Promise<string> => page.$eval(`#guest-rows tr[data-guest="${guest}"] [data-col="${col}"]`, (c) => c.textContent);
    expect(await cell('rear-seat', 'pid')).toBe(String(before?.pid));
    expect(await cell('rear-seat', 'restarts')).toBe('0');
    await screenshot(page, '1-running');
    // A page that reloaded would lose this.
    await page.evaluate(() => { document.body.dataset['marker'] = 'same page'; });

    // The guest takes commands once it has booted (the simulator's journal says so).
    await waitFor(async () => (await h.journal()).some((l) => l.pid === before?.pid && l.event === 'running'), { timeoutMs: 20_000 });
    await h.guestCommand('rear-seat', 'reboot');
    await page.waitForFunction((old) => {
      const row = document.querySelector('#guest-rows tr[data-guest="rear-seat"]');
      const pid = row?.querySelector('[data-col="pid"]')?.textContent;
      return pid !== undefined && pid !== String(old) && pid !== '-' && row?.querySelector('[data-col="restarts"]')?.textContent === '1';
    }, { timeout: 20_000 }, before?.pid);
    const after = await h.guest('rear-seat');
    expect(await cell('rear-seat', 'pid')).toBe(String(after?.pid));
    expect(await cell('rear-seat', 'phase')).toBe('running');
    expect(await cell('rear-seat', 'last-exit')).toBe('0 (guest shut down or rebooted)');
    expect(await page.evaluate(() => document.body.dataset['marker'])).toBe('same page');
    await page.waitForFunction(() => [...document.querySelectorAll('#event-rows tr')].some((r) => r.textContent.includes('rear-seat') && r.textContent.includes('Exited')), { timeout: 10_000 });
    await screenshot(page, '2-after-reboot');
  });

  it('draws the dependency graph in SVG, each guest coloured by its phase', async () => {
    const nodes = await page.$$eval('svg.graph g.node', (gs) => gs.map((g) => {
      const m = /translate\(([\d.]+) ([\d.]+)\)/.exec(g.getAttribute('transform') ?? '');
      return { guest: g.getAttribute('data-guest') ?? '', phase: g.getAttribute('data-phase') ?? '', x: Number(m?.[1]), fill: getComputedStyle(g.querySelector('rect') ?? g).fill };
    }));
    expect(nodes.map((n) => `${n.guest}:${n.phase}`).sort()).toEqual(['cluster:running', 'ivi:running', 'rear-seat:running', 'svc:running', 'telematics:running']);
    for (const n of nodes) expect(n.fill).toBe(hexToRgb(PHASE_COLORS.running.fill));
    const x = Object.fromEntries(nodes.map((n) => [n.guest, n.x]));
    expect(x['svc']).toBeLessThan(x['ivi'] ?? 0);
    expect(x['ivi']).toBeLessThan(x['rear-seat'] ?? 0);
    expect(x['cluster']).toBe(x['ivi']);
    const edges = await page.$$eval('svg.graph path.edge', (ps) => ps.map((p) => `${p.getAttribute('data-from') ?? ''}→${p.getAttribute('data-to') ?? ''}`));
    expect(edges.sort()).toEqual(['cluster→svc', 'ivi→svc', 'rear-seat→ivi', 'telematics→svc']);

    // A guest chosen in the graph: its chain of decisions, as `qvmctl why` has it.
    await page.click('svg.graph g.node[data-guest="rear-seat"]');
    await page.waitForFunction(() => document.querySelector('#why-guest')?.textContent === 'rear-seat' && [...document.querySelectorAll('#why li')].some((li) => li.textContent.includes('exit: guest-shutdown')), { timeout: 10_000 });
    const why = await page.$$eval('#why li', (lis) => lis.map((li) => li.textContent));
    expect(why.some((line) => line.includes('action: start done'))).toBe(true);
    expect(await page.$eval('svg.graph g.node[data-guest="rear-seat"]', (g) => g.classList.contains('selected'))).toBe(true);
  });

  it('draws the dry run\'s worst case before any shutdown: each bar split at the ladder\'s timeouts', async () => {
    expect(await page.$eval('#shutdown-last', (d) => d.textContent)).toContain('No host shutdown recorded yet.');
    const bars = await barsOf(page, 'budget');
    const by = Object.fromEntries(bars.map((b) => [b.guest, b]));
    expect(bars.map((b) => `${b.wave}:${b.guest}`)).toEqual(['1:cluster', '1:rear-seat', '1:telematics', '2:ivi', '3:svc']);
    // 1 s for a pass under way, then every step runs into its timeout; a guest after its dependents.
    expect(by['cluster']?.segments.map((s) => [s.step, s.fromMs, s.toMs])).toEqual([['guest-command', 1_000, 1_300], ['power-button', 1_300, 1_600], ['power-cut', 1_600, 3_600]]);
    expect(by['telematics']?.segments.map((s) => [s.step, s.fromMs, s.toMs])).toEqual([['power-button', 1_000, 2_500]]);
    expect(by['ivi']?.segments.map((s) => [s.step, s.fromMs, s.toMs])).toEqual([['guest-command', 5_000, 5_300], ['power-button', 5_300, 7_300]]);
    expect(by['svc']?.segments.map((s) => [s.step, s.fromMs, s.toMs])).toEqual([['guest-command', 7_300, 9_300], ['power-button', 9_300, 11_300]]);
    // Drawn to scale: the power cut is 2000/300 of the guest command's width.
    const [gc, , pc] = by['cluster']?.segments ?? [];
    expect((pc?.width ?? 0) / (gc?.width ?? 1)).toBeCloseTo(2_000 / 300, 1);
    expect(bars.filter((b) => b.critical).map((b) => b.guest)).toEqual(['rear-seat', 'ivi', 'svc']);
    expect(Number(await page.$eval('svg.timeline[data-kind="budget"] line.deadline', (l) => l.getAttribute('data-ms')))).toBe(DEADLINE_MS);
    expect(await page.$eval('#shutdown-budget .caption', (p) => p.textContent)).toContain('worst case 11.3 s (rear-seat → ivi → svc), OVER the deadline of 9 s');
    // The same numbers as `qvmctl shutdown --dry-run`'s worst case.
    const view = JSON.parse((await get({ socketPath: join(h.stateDir, 'qvmctl.sock'), path: '/ui/api/view' })).text) as { shutdown: { budget: { totalMs: number } } };
    expect(view.shutdown.budget.totalMs).toBe(11_300);
    await screenshot(page, '3-worst-case', '#shutdown');
  });

  it('serves every file itself under a strict policy, answers only GETs, and only to loopback names', async () => {
    const port = Number(new URL(url).port);
    const origin = new URL(url).origin;
    expect(requests.length).toBeGreaterThan(0);
    expect(requests.filter((r) => !r.startsWith(`GET ${origin}/`))).toEqual([]);
    expect(problems).toEqual([]);
    const pageAnswer = await get({ port, path: '/' });
    expect(pageAnswer.headers['content-security-policy']).toBe("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'");
    expect(pageAnswer.headers['x-content-type-options']).toBe('nosniff');
    expect(pageAnswer.text).not.toMatch(/https?:\/\//);
    expect(await page.$$eval('form, input, button, [contenteditable]', (els) => els.length)).toBe(0);
    // Another site whose name resolves here (DNS rebinding) is refused.
    const rebound = await get({ port, path: '/api/view', headers: { host: `attacker.example:${port}` } });
    expect(rebound.status).toBe(421);
    expect((await get({ port, path: '/api/why/%E0%A4%A' })).status).toBe(400);
    expect((await get({ port, path: '/../../package.json' })).status).toBe(404);
    for (const method of ['POST', 'PUT', 'DELETE']) {
      const status = await new Promise<number>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port, path: '/api/view', method }, (res) => { res.resume(); resolve(res.statusCode ?? 0); });
        req.on('error', reject);
        req.end('{}');
      });
      expect(status).toBe(405);
    }
    // The same page under /ui/ on the control socket.
    const socketPath = join(h.stateDir, 'qvmctl.sock');
    expect((await get({ socketPath, path: '/ui' })).headers['location']).toBe('/ui/');
    expect((await get({ socketPath, path: '/ui/' })).text).toBe(pageAnswer.text);
    // A browser shown the socket (forwarded to a port) never powers the host off.
    const fromPage = await post(h.stateDir, '/shutdown', '{"mode":"none"}', { origin: 'http://attacker.example', 'content-type': 'text/plain' });
    expect(fromPage.status).toBe(403);
    expect((await h.status()).fenced).toBe(false);
  });

  it('draws the last shutdown as a timeline: a bar per guest split by ladder step, the waves, the deadline, the critical path', async () => {
    const done = await post(h.stateDir, '/shutdown', '{"mode":"none"}');
    expect(done.status).toBe(200);
    const record = JSON.parse(done.text) as { status: string; guests: { guest: string; startedAt: number; elapsedMs: number }[] };
    expect(record.status).toBe('completed');
    await page.waitForSelector('svg.timeline[data-kind="last"]', { timeout: 20_000 });
    const bars = await barsOf(page, 'last');
    const by = Object.fromEntries(bars.map((b) => [b.guest, b]));
    const steps = (guest: string): string[] => by[guest]?.segments.map((s) => s.step) ?? [];
    expect(steps('cluster')).toEqual(['guest-command', 'power-button', 'power-cut']);
    expect(steps('ivi')).toEqual(['guest-command', 'power-button']);
    expect(steps('telematics')).toEqual(['power-button']);
    expect(steps('svc')).toEqual(['guest-command']);
    expect(steps('rear-seat')).toEqual(['guest-command']);
    expect(bars.map((b) => `${b.wave}:${b.guest}:${b.end}`).sort()).toEqual(['1:cluster:stopped', '1:rear-seat:stopped', '1:telematics:stopped', '2:ivi:stopped', '3:svc:stopped']);
    // Each step as long as the sequence took it: the guest command runs its 300 ms out before the power button.
    const [gc, pb] = by['ivi']?.segments ?? [];
    expect((gc?.toMs ?? 0) - (gc?.fromMs ?? 0)).toBeGreaterThanOrEqual(250);
    expect(pb?.fromMs).toBe(gc?.toMs);
    // A dependency's stop begins after its dependents' ended.
    const end = (guest: string): number => Math.max(...(by[guest]?.segments.map((s) => s.toMs) ?? [0]));
    const start = (guest: string): number => Math.min(...(by[guest]?.segments.map((s) => s.fromMs) ?? [0]));
    expect(start('svc')).toBeGreaterThanOrEqual(Math.max(end('cluster'), end('ivi'), end('telematics')));
    expect(start('ivi')).toBeGreaterThanOrEqual(end('rear-seat'));
    // The chain that ended last, first stopped first.
    const critical = bars.filter((b) => b.critical).map((b) => b.guest);
    expect(critical.at(-1)).toBe('svc');
    expect(critical.length).toBeGreaterThanOrEqual(2);
    expect(Number(await page.$eval('svg.timeline[data-kind="last"] line.deadline', (l) => l.getAttribute('data-ms')))).toBe(DEADLINE_MS);
    expect(await page.$eval('#shutdown-last .caption', (p) => p.textContent)).toMatch(/^Last host shutdown on .+: completed in [\d.]+ s, within the deadline of 9 s\.$/);
    // The fence is up: the graph recolours every guest as held, live.
    await page.waitForFunction(() => [...document.querySelectorAll('svg.graph g.node')].every((g) => g.getAttribute('data-phase') === 'held'), { timeout: 20_000 });
    await page.waitForFunction(() => document.querySelector('#summary')?.textContent.includes('FENCED') === true, { timeout: 10_000 });
    await screenshot(page, '4-last-shutdown');
    await screenshot(page, '5-last-shutdown-timeline', '#shutdown');
    expect(problems).toEqual([]);
  });
});
