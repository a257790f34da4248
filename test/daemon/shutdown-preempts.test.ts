// The host shutdown waited for the daemon's pass under way — a guest whose readiness
// wait is 90 s delayed the first stop of POST /shutdown by 87 s against a 20 s deadline. Now raising
// the fence cuts that pass short, and the stops begin at once (docs/shutdown.md, "Shutdown preempts").
import { request } from 'node:http';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import { CLI, createDaemonHarness, guestYaml, hostYaml, waitFor, type DaemonHarness } from '../helpers/daemon-harness.js';
import { journalViolations, type JournalLine } from '../helpers/runtime-harness.js';
import { firstStopRequest, hostCommand, readHostLog } from '../helpers/shutdown-fleet.js';

const DEADLINE_MS = 20_000;

function postShutdown(stateDir: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: join(stateDir, 'qvmctl.sock'), path: '/shutdown', method: 'POST' }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => { resolve({ status: res.statusCode ?? 0, json: JSON.parse(text) as Record<string, unknown> }); });
    });
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

const running = (journal: readonly JournalLine[], system: string): boolean => journal.some((l) => l.system === system && l.event === 'running');
/** When the simulator first heard a stop request (the guest command is a process of its own: it lags). */
const firstStopHeard = (journal: readonly JournalLine[]): number =>
  Math.min(...['base', 'slow'].map((s) => firstStopRequest(journal, s) ?? Number.POSITIVE_INFINITY));

/** Epoch ms of the daemon's first log line with this message at or after `since`. */
async function logged(h: DaemonHarness, msg: string, since: number): Promise<number> {
  const times = (await h.log()).filter((l) => l['msg'] === msg).map((l) => Date.parse(String(l['time']))).filter((t) => t >= since);
  return Math.min(...times);
}

/**
 * base; slow, whose readiness line never comes (a 90 s wait); top, which needs slow ready. The daemon
 * starts base and slow, then sits in slow's readiness wait with top's start queued behind it.
 */
async function daemonInReadinessWait(): Promise<DaemonHarness> {
  const h = await createDaemonHarness();
  await h.write('host.yaml', `${hostYaml(h.stateDir)}  shutdown:
    command: ${JSON.stringify(hostCommand(h.stateDir, 'poweroff'))}
    rebootCommand: ${JSON.stringify(hostCommand(h.stateDir, 'reboot'))}
    deadline: ${DEADLINE_MS / 1000}s
`);
  await h.write('base.yaml', guestYaml('base'));
  await h.write('slow.yaml', guestYaml('slow', { spec: '  readiness: { logPattern: "never printed", timeout: 90s }\n' }));
  await h.write('top.yaml', guestYaml('top', { spec: '  dependsOn: [slow]\n' }));
  await h.commit('fleet');
  await h.startDaemon();
  await waitFor(async () => { const j = await h.journal(); return running(j, 'base') && running(j, 'slow'); }, { timeoutMs: 20_000, message: 'base and slow run' });
  // base, launched beside slow, is ready (its start grace is over): so is slow's launch, and the pass waits.
  await waitFor(async () => (await h.log()).some((l) => l['guest'] === 'base' && /^start: pid \d+, ready$/.test(String(l['msg']))), { timeoutMs: 20_000, message: 'base ready' });
  return h;
}

describe('qvmctl run: the host shutdown preempts the pass under way', () => {
  let h: DaemonHarness | undefined;
  afterEach(async () => {
    const journal = await h?.journal();
    await h?.cleanup();
    h = undefined;
    expect(journalViolations(journal ?? [])).toEqual([]);
  });

  it('POST /shutdown during a 90 s readiness wait: the first stop within a second, done well within the 20 s deadline', async () => {
    h = await daemonInReadinessWait();
    const t0 = Date.now();
    const answer = await postShutdown(h.stateDir, { mode: 'poweroff' });
    const answered = Date.now();

    expect(answer.status).toBe(200);
    expect(answer.json).toMatchObject({ status: 'completed', ok: true, alive: [] });
    expect(answered - t0).toBeLessThan(DEADLINE_MS);
    // The sequence's first stop (its log line as the ladder begins), and the simulator's view of it.
    expect(await logged(h, 'stopping', t0) - t0).toBeLessThan(1_000);
    const journal = await h.journal();
    expect(firstStopHeard(journal) - t0).toBeLessThan(DEADLINE_MS / 4);
    expect(journal.some((l) => l.system === 'top')).toBe(false);
    expect((await readHostLog(h.stateDir)).map((l) => l.args)).toEqual(['poweroff']);

    // The pass said what the fence did to it, and the daemon lives on, fenced.
    const events = await waitFor(async () => {
      const all = await h?.events();
      return all?.some((e) => e.guest === 'top' && e.reason === 'StartSkipped') === true ? all : undefined;
    }, { timeoutMs: 10_000, message: 'the cut pass is reported' });
    expect(events.find((e) => e.guest === 'top' && e.reason === 'StartSkipped')?.message).toBe('not started: fence up');
    expect(events.find((e) => e.guest === 'slow' && e.reason === 'StartFailed')?.message).toMatch(/^started \(pid \d+\), readiness wait cut short: fence up$/);
    expect(h.daemon?.exitCode).toBeNull();
  });

  it('`qvmctl shutdown` from another process: the daemon\'s pass sees the fence and gives way', async () => {
    h = await daemonInReadinessWait();
    const r = await execa('node', [CLI, 'shutdown', '-f', h.manifestDir, '--state-dir', h.stateDir, '-o', 'json'], { reject: false, forceKillAfterDelay: false, timeout: 60_000 });
    expect(r.exitCode, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout) as { status: string; elapsedMs: number; fence: { since: number } };
    expect(result.status).toBe('completed');
    expect(result.elapsedMs).toBeLessThan(DEADLINE_MS);
    // The daemon noticed the fence at its next look (every 500 ms) and ended its pass; a start under
    // way at that moment finishes its launch first (at most its 500 ms start grace).
    expect(await logged(h, 'pass done', result.fence.since) - result.fence.since).toBeLessThan(1_500);
    const journal = await h.journal();
    expect(firstStopHeard(journal) - result.fence.since).toBeLessThan(DEADLINE_MS / 4);
    expect(journal.some((l) => l.system === 'top')).toBe(false);
    expect(h.daemon?.exitCode).toBeNull();
  });
});
