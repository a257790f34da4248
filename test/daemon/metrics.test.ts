// Metrics an operator can alert on (docs/daemon.md, "Metrics", "Health and readiness"): a real
// daemon's /metrics passes `promtool check metrics`, names each guest, drops a removed guest's
// series, and /readyz answers 503 until a valid desired state is loaded and a pass completed. The
// example Prometheus files of support/prometheus are checked and unit-tested with promtool.
import { existsSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import { CLI, createDaemonHarness, guestYaml, metricValue, waitFor, type DaemonHarness } from '../helpers/daemon-harness.js';
import { journalViolations } from '../helpers/runtime-harness.js';

const ROOT = resolve(import.meta.dirname, '../..');
const PROMTOOL = ['/usr/bin/promtool', '/usr/local/bin/promtool'].find((path) => existsSync(path));
const NO_PROMTOOL = 'promtool is not installed (Debian package `prometheus`; .ci/run installs it): the promtool checks are skipped';
if (PROMTOOL === undefined) console.warn(NO_PROMTOOL);

interface Answer {
  readonly status: number;
  readonly body: string;
}

/** GET over the control socket (`{ socketPath }`) or the TCP listener (`{ port }`). */
function get(where: { readonly socketPath: string } | { readonly port: number }, path: string): Promise<Answer> {
  return new Promise((done, fail) => {
    const target = 'port' in where ? { host: '127.0.0.1', port: where.port } : { socketPath: where.socketPath };
    const req = request({ ...target, path, method: 'GET' }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => { done({ status: res.statusCode ?? 0, body }); });
    });
    req.on('error', fail);
    req.end();
  });
}

function post(socketPath: string, path: string, body: unknown): Promise<Answer> {
  return new Promise((done, fail) => {
    const req = request({ socketPath, path, method: 'POST' }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => { done({ status: res.statusCode ?? 0, body: text }); });
    });
    req.on('error', fail);
    req.end(JSON.stringify(body));
  });
}

/** The samples of `text` whose labels include `guest="NAME"`. */
function guestSamples(text: string, guest: string): string[] {
  return text.split('\n').filter((l) => !l.startsWith('#') && l.includes(`guest="${guest}"`));
}

async function promtool(args: readonly string[], input?: string): Promise<{ exitCode: number | undefined; output: string }> {
  const result = await execa(PROMTOOL ?? 'promtool', args, { reject: false, all: true, ...(input === undefined ? {} : { input }), cwd: ROOT, timeout: 30_000 });
  return { exitCode: result.exitCode, output: result.all };
}

// Every scrape of the daemon test, for the promtool check (run once, after it).
const scrapes: { readonly when: string; readonly text: string }[] = [];

describe('qvmctl run: metrics', () => {
  let h: DaemonHarness | undefined;
  afterEach(async () => {
    const journal = await h?.journal();
    await h?.cleanup();
    h = undefined;
    expect(journalViolations(journal ?? [])).toEqual([]);
  });

  it('names each guest in its series, drops a removed guest\'s, and is ready only once a valid desired state is loaded', async () => {
    h = await createDaemonHarness({ interval: '10m', prune: true });
    const socket = { socketPath: join(h.stateDir, 'qvmctl.sock') };
    await h.write('alpha.yaml', 'apiVersion: qvmctl/v1\nkind: Guest\nmetadata: { name: alpha }\nspec: [not, a, mapping\n');
    await h.commit('broken');
    await h.startDaemon(['--metrics-port', '0']);
    const started = await waitFor(async () => (await h?.log())?.find((l) => l['msg'] === 'daemon started'), { message: 'daemon started' });
    const tcp = { port: Number(started['metricsPort']) };
    expect(tcp.port).toBeGreaterThan(0);
    const metrics = async (): Promise<string> => {
      const answer = await get(tcp, '/metrics');
      expect(answer.status).toBe(200);
      return answer.body;
    };
    // Waits until a scrape shows what `holds` asks for, and keeps that scrape for promtool.
    const scrapeUntil = async (when: string, holds: (text: string) => boolean): Promise<string> => {
      const text = await waitFor(async () => { const t = await metrics(); return holds(t) ? t : undefined; }, { timeoutMs: 20_000, message: when });
      scrapes.push({ when, text });
      return text;
    };
    const scrape = (when: string): Promise<string> => scrapeUntil(when, () => true);

    // No valid manifest ever loaded: alive, not ready, with the reason on one line; on both listeners.
    await waitFor(async () => (await h?.status())?.lastPass !== undefined, { message: 'first pass' });
    for (const where of [socket, tcp]) {
      expect(await get(where, '/healthz')).toEqual({ status: 200, body: '{"ok":true}\n' });
      const readyz = await get(where, '/readyz');
      expect(readyz.status).toBe(503);
      expect(readyz.body.trimEnd().split('\n')).toHaveLength(1);
      const answer = JSON.parse(readyz.body) as { ready: boolean; reason: string };
      expect(answer.ready).toBe(false);
      expect(answer.reason).toMatch(/^no valid manifests have been loaded: the manifests in .* have 1 error \(qvmctl validate -f .*\)$/);
    }
    const broken = await scrape('no valid manifests');
    expect(metricValue(broken, 'qvmctl_ready')).toBe(0);
    expect(metricValue(broken, 'qvmctl_manifest_valid')).toBe(0);
    expect(broken).not.toContain('guest="');
    const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
    expect(broken).toContain(`qvmctl_build_info{version="${version}",node_version="${process.version}"} 1\n`);

    // A valid commit: every guest runs and the daemon is ready.
    for (const name of ['alpha', 'beta', 'gamma']) await h.write(`${name}.yaml`, guestYaml(name));
    await h.commit('three guests');
    await waitFor(async () => {
      const guests = (await h?.status())?.guests ?? [];
      return guests.length === 3 && guests.every((g) => g.phase === 'running' && g.ready);
    }, { timeoutMs: 30_000, message: 'three guests running and ready' });
    await waitFor(async () => (await get(tcp, '/readyz')).status === 200, { message: 'ready' });
    expect(await get(socket, '/readyz')).toEqual({ status: 200, body: '{"ready":true}\n' });
    const running = await scrape('three guests running');
    expect(metricValue(running, 'qvmctl_ready')).toBe(1);
    expect(metricValue(running, 'qvmctl_fenced')).toBe(0);
    for (const name of ['alpha', 'beta', 'gamma']) {
      const phases = guestSamples(running, name).filter((l) => l.startsWith('qvmctl_guest_phase{'));
      expect(phases).toHaveLength(9);
      expect(phases.filter((l) => l.endsWith(' 1'))).toEqual([`qvmctl_guest_phase{guest="${name}",phase="running"} 1`]);
      for (const series of ['up', 'ready', 'desired']) expect(metricValue(running, `qvmctl_guest_${series}{guest="${name}"}`)).toBe(1);
      expect(running).toContain(`qvmctl_guest_restarts_total{guest="${name}"} 0\n`);
    }
    expect(metricValue(running, 'qvmctl_guests{phase="running"}')).toBe(3);

    // alpha reboots from inside: its restarts and last exit, as `status` shows them.
    const alpha = await waitFor(async () => (await h?.guest('alpha'))?.pid);
    await waitFor(async () => (await h?.journal())?.some((l) => l.pid === alpha && l.event === 'running'), { timeoutMs: 20_000 });
    await h.guestCommand('alpha', 'reboot');
    const restarted = await waitFor(async () => { const g = await h?.guest('alpha'); return g?.phase === 'running' && g.pid !== alpha ? g : undefined; }, { timeoutMs: 20_000 });
    const afterReboot = await scrapeUntil('alpha rebooted', (text) => metricValue(text, 'qvmctl_guest_up{guest="alpha"}') === 1 && metricValue(text, 'qvmctl_guest_restarts_total{guest="alpha"}') === 1);
    expect(restarted.restarts).toBe(1);
    expect(metricValue(afterReboot, 'qvmctl_guest_last_exit_code{guest="alpha"}')).toBe(0);
    expect(metricValue(afterReboot, 'qvmctl_guest_last_exit_timestamp_seconds{guest="alpha"}')).toBeCloseTo((restarted.lastExit?.at ?? 0) / 1000, 3);

    // gamma is asked to stop: not desired, stopped, and its stop ladder's step timed.
    await h.write('gamma.yaml', guestYaml('gamma', { spec: '  state: stopped\n' }));
    await h.commit('gamma stopped');
    const stopped = await scrapeUntil('gamma stopped', (text) => metricValue(text, 'qvmctl_guest_phase{guest="gamma",phase="stopped"}') === 1);
    expect(metricValue(stopped, 'qvmctl_guest_desired{guest="gamma"}')).toBe(0);
    expect(metricValue(stopped, 'qvmctl_guest_up{guest="gamma"}')).toBe(0);
    expect(metricValue(stopped, 'qvmctl_guest_stop_step_duration_seconds_count{guest="gamma",step="guest-command"}')).toBe(1);
    expect(metricValue(stopped, 'qvmctl_guest_stop_step_duration_seconds_count{guest="gamma",step="power-button"}')).toBe(0);

    // beta's and gamma's manifests are removed: beta is pruned, and no series names either any more.
    await h.remove('beta.yaml');
    await h.remove('gamma.yaml');
    await h.commit('only alpha');
    const removed = await scrapeUntil('beta and gamma gone from /metrics', (text) => guestSamples(text, 'beta').length === 0 && guestSamples(text, 'gamma').length === 0);
    expect(guestSamples(removed, 'alpha').length).toBeGreaterThan(0);
    expect(metricValue(removed, 'qvmctl_guests{phase="running"}')).toBe(1);
    expect((await h.status()).guests.map((g) => g.name)).toEqual(['alpha']);

    // A host shutdown without the host: its duration, alpha's stop steps, and the fence.
    const shutdown = await post(socket.socketPath, '/shutdown', { mode: 'none' });
    expect(shutdown.status).toBe(200);
    const fenced = await scrape('after a shutdown without the host');
    expect(metricValue(fenced, 'qvmctl_host_shutdown_duration_seconds_count{status="completed"}')).toBe(1);
    expect(metricValue(fenced, 'qvmctl_fenced')).toBe(1);
    expect(metricValue(fenced, 'qvmctl_guest_stop_step_duration_seconds_count{guest="alpha",step="guest-command"}')).toBe(1);
  });

  it('passes promtool check metrics on every scrape of that daemon', async (ctx) => {
    ctx.skip(PROMTOOL === undefined, NO_PROMTOOL);
    expect(scrapes.length).toBeGreaterThanOrEqual(6);
    for (const { when, text } of scrapes) {
      const result = await promtool(['check', 'metrics'], text);
      expect({ when, ...result }).toEqual({ when, exitCode: 0, output: '' });
    }
  });

  it('says in one line that a --metrics-port in use cannot be served, and leaves nothing listening', async () => {
    h = await createDaemonHarness();
    const busy = createServer();
    await new Promise<void>((done) => { busy.listen(0, '127.0.0.1', done); });
    try {
      const port = (busy.address() as AddressInfo).port;
      const run = await execa('node', [CLI, 'run', '-f', h.manifestDir, '--state-dir', h.stateDir, '--metrics-port', String(port), '--log-format', 'json'], { reject: false, timeout: 20_000 });
      expect(run.timedOut).toBe(false);
      expect(run.exitCode).toBe(1);
      expect(run.stderr.trim()).toBe(`qvmctl: cannot serve /metrics on 127.0.0.1:${port} (EADDRINUSE): the port is in use; choose another --metrics-port`);
      expect(await get({ socketPath: join(h.stateDir, 'qvmctl.sock') }, '/healthz').catch((error: unknown) => (error as NodeJS.ErrnoException).code)).toBe('ENOENT');
    } finally {
      await new Promise((done) => { busy.close(done); });
    }
  });
});

describe('support/prometheus', () => {
  it('holds alert rules and a scrape config promtool accepts, and the rules pass their unit tests', async (ctx) => {
    ctx.skip(PROMTOOL === undefined, NO_PROMTOOL);
    const rules = await promtool(['check', 'rules', 'support/prometheus/qvmctl-alerts.yml']);
    expect(rules.exitCode, rules.output).toBe(0);
    expect(rules.output).not.toMatch(/warn/i);
    const config = await promtool(['check', 'config', 'support/prometheus/prometheus.yml']);
    expect(config.exitCode, config.output).toBe(0);
    expect(config.output).not.toMatch(/warn/i);
    const tests = await promtool(['test', 'rules', 'test/fixtures/prometheus/qvmctl-alerts.test.yml']);
    expect(tests.exitCode, tests.output).toBe(0);
    expect(tests.output).toContain('SUCCESS');
  });

  it('names in its rules only metrics the daemon serves', () => {
    const rules = readFileSync(join(ROOT, 'support/prometheus/qvmctl-alerts.yml'), 'utf8');
    const served = readFileSync(join(ROOT, 'src/daemon/metrics.ts'), 'utf8');
    const used = [...new Set([...rules.matchAll(/\bqvmctl_[a-z_]+/g)].map((m) => m[0].replace(/_(bucket|count|sum)$/, '')))];
    expect(used.length).toBeGreaterThan(0);
    expect(used.filter((name) => !served.includes(`'${name}'`))).toEqual([]);
  });
});
