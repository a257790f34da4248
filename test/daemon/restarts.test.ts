// Exits as triggers: a guest that reboots from inside is started again at once; a crash loop backs
// off and gives up (phase failed), visible in status, events, why and metrics.
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import { fetchDaemonWhy } from '../../src/cli/daemon-client.js';
import { CLI, createDaemonHarness, guestYaml, metricValue, overlappingRuns, waitFor, type DaemonHarness } from '../helpers/daemon-harness.js';
import { journalViolations } from '../helpers/runtime-harness.js';

describe('qvmctl run: guest exits', () => {
  let h: DaemonHarness | undefined;
  afterEach(async () => {
    await h?.cleanup();
    h = undefined;
  });

  it('starts a guest again after it reboots from inside', async () => {
    h = await createDaemonHarness({ interval: '10m' });
    await h.write('alpha.yaml', guestYaml('alpha'));
    await h.commit('alpha');
    await h.startDaemon();
    const first = await waitFor(async () => { const g = await h?.guest('alpha'); return g?.phase === 'running' ? g : undefined; }, { timeoutMs: 20_000 });
    // The guest takes commands once it has booted (the simulator's journal says so), not when qvm is merely up.
    await waitFor(async () => (await h?.journal())?.some((l) => l.pid === first.pid && l.event === 'running'), { timeoutMs: 20_000 });
    await h.guestCommand('alpha', 'reboot');
    const second = await waitFor(async () => { const g = await h?.guest('alpha'); return g?.phase === 'running' && g.pid !== first.pid ? g : undefined; }, { timeoutMs: 20_000 });
    expect(second.restarts).toBe(1);
    expect(second.lastExit).toMatchObject({ code: 0, meaning: 'guest-shutdown' });
    const events = await h.events('alpha');
    expect(events.map((e) => e.reason)).toEqual(expect.arrayContaining(['Started', 'Exited']));
    expect(metricValue(await h.metrics(), 'qvmctl_guest_exits_total{code="0"}')).toBe(1);
    // The daemon may see the new qvm before the simulator has written its boot to the journal.
    const journal = await waitFor(async () => { const j = await h?.journal(); return j?.some((l) => l.pid === second.pid && l.event === 'boot') === true ? j : undefined; }, { timeoutMs: 20_000 });
    expect(journal.filter((l) => l.system === 'alpha' && l.event === 'boot')).toHaveLength(2);
    expect(overlappingRuns(journal)).toEqual([]);
    expect(journalViolations(journal)).toEqual([]);
  });

  it('backs off a crash loop and gives up', async () => {
    h = await createDaemonHarness({ interval: '10m' });
    await h.write('crashy.yaml', guestYaml('crashy', {
      knobs: 'boot-ms=30 shutdown-ms=30 crash-after-ms=100',
      // A hold (and its BackOff event) is planned only by a pass that comes before the backoff has
      // ended: the pass after an exit comes a debounce and an observation later, which on a loaded
      // machine may take longer than 200 ms. With 1 s, then 2 s, a pass would have to take longer
      // than that to miss both.
      spec: '  restart:\n    onFailure: restart\n    backoff: { initial: 1s, max: 2s, resetAfter: 1m }\n    maxFailures: { count: 3, window: 1m }\n',
    }));
    await h.commit('crashy');
    await h.startDaemon();
    const failed = await waitFor(async () => { const g = await h?.guest('crashy'); return g?.phase === 'failed' ? g : undefined; }, { timeoutMs: 30_000, message: 'gives up' });
    expect(failed.failures).toBe(3);
    expect(failed.lastExit).toMatchObject({ code: 96, meaning: 'failure' });
    const journal = await h.journal();
    const boots = journal.filter((l) => l.system === 'crashy' && l.event === 'boot');
    const exits = journal.filter((l) => l.system === 'crashy' && l.event === 'exit');
    expect(boots).toHaveLength(3);
    // backoff: the third start waits longer after the second crash than the second after the first
    const gap = (i: number): number => (boots[i]?.time ?? 0) - (exits[i - 1]?.time ?? 0);
    expect(gap(1)).toBeGreaterThanOrEqual(990);
    expect(gap(2)).toBeGreaterThanOrEqual(1990);
    const reasons = (await h.events('crashy')).map((e) => e.reason);
    expect(reasons).toEqual(expect.arrayContaining(['BackOff', 'GaveUp']));
    const why = await fetchDaemonWhy(h.stateDir, 'crashy');
    expect(why?.decisions.map((d) => d.kind)).toEqual(expect.arrayContaining(['plan', 'exit', 'hold', 'action']));
    expect(metricValue(await h.metrics(), 'qvmctl_guests{phase="failed"}')).toBe(1);
    expect(metricValue(await h.metrics(), 'qvmctl_guest_exits_total{code="96"}')).toBe(3);

    const whyText = await execa('node', [CLI, 'why', 'crashy', '--state-dir', h.stateDir]);
    expect(whyText.stdout).toMatch(/^guest crashy: failed/);
    expect(whyText.stdout).toContain('backoff');
    // The exit's words and the policy's class, each once: `96 (fatal error after the guest started), counted as failure`.
    expect(whyText.stdout).toMatch(/^last exit: 96 \(fatal error after the guest started\), counted as failure at /m);
    const eventsJson = await execa('node', [CLI, 'events', '--guest', 'crashy', '-o', 'json', '--state-dir', h.stateDir]);
    expect((JSON.parse(eventsJson.stdout) as { events: { reason: string }[] }).events.map((e) => e.reason)).toContain('GaveUp');
  });
});
