// GitOps end to end: commits to a real git repository of manifests converge the host; a broken
// commit changes nothing and is reported; a burst of commits coalesces into few passes.
import { afterEach, describe, expect, it } from 'vitest';
import { createDaemonHarness, guestYaml, type HostOptions, metricValue, overlappingRuns, waitFor, type DaemonHarness } from '../helpers/daemon-harness.js';
import { journalViolations } from '../helpers/runtime-harness.js';

describe('qvmctl run: manifests in git', () => {
  let current: DaemonHarness | undefined;
  const harness = async (host: HostOptions): Promise<DaemonHarness> => (current = await createDaemonHarness(host));
  afterEach(async () => {
    await current?.cleanup();
    current = undefined;
  });

  it('converges a commit that adds, changes and removes guests; ignores a broken commit', async () => {
    const h = await harness({ prune: true });
    await h.write('alpha.yaml', guestYaml('alpha'));
    await h.write('beta.yaml', guestYaml('beta'));
    await h.commit('two guests');
    await h.startDaemon();
    await waitFor(async () => (await h.guest('alpha'))?.phase === 'running' && (await h.guest('beta'))?.phase === 'running', { timeoutMs: 20_000 });
    const alphaPid = (await h.guest('alpha'))?.pid;
    const status = await h.status();
    expect(status.lastPass?.revision?.commit).toBe(await h.git('rev-parse', 'HEAD'));

    // add gamma, change alpha, remove beta
    await h.write('gamma.yaml', guestYaml('gamma'));
    await h.write('alpha.yaml', guestYaml('alpha', { knobs: 'boot-ms=60 shutdown-ms=50' }));
    await h.remove('beta.yaml');
    await h.commit('add gamma, change alpha, remove beta');
    await waitFor(async () => {
      const s = await h.status();
      const by = new Map(s.guests.map((g) => [g.name, g]));
      return by.get('gamma')?.phase === 'running' && by.get('alpha')?.phase === 'running' && by.get('alpha')?.pid !== alphaPid && !by.has('beta');
    }, { timeoutMs: 30_000, message: 'converged to the second commit' });
    const head = await h.git('rev-parse', 'HEAD');
    await waitFor(async () => (await h.status()).lastPass?.revision?.commit === head);

    // a broken commit: nothing changes, and it is reported
    const before = (await h.status()).guests.map((g) => [g.name, g.pid]);
    await h.write('gamma.yaml', 'apiVersion: qvmctl/v1\nkind: Guest\nmetadata: { name: gamma }\nspec: [not, a, mapping\n');
    await h.commit('broken');
    const warning = await waitFor(async () => (await h.events()).find((e) => e.reason === 'ManifestInvalid'), { timeoutMs: 10_000 });
    expect(warning.type).toBe('Warning');
    expect(warning.message).toContain('gamma.yaml');
    const after = await h.status();
    expect(after.manifests).toMatchObject({ status: 'invalid', usingLastGood: true });
    expect(after.guests.map((g) => [g.name, g.pid])).toEqual(before);
    expect(metricValue(await h.metrics(), 'qvmctl_manifest_errors_total')).toBeGreaterThanOrEqual(1);
    expect((await h.log()).some((l) => l['level'] === 40 && String(l['msg']).includes('keeping the last good desired state'))).toBe(true);

    const journal = await h.journal();
    expect(journalViolations(journal)).toEqual([]);
    expect(overlappingRuns(journal)).toEqual([]);
    expect(journal.some((l) => l.system === 'beta' && l.event === 'exit')).toBe(true);
  });

  it('coalesces a burst of commits and checkouts into few passes', async () => {
    const h = await harness({ debounce: '500ms' });
    await h.write('alpha.yaml', guestYaml('alpha'));
    await h.commit('one guest');
    await h.startDaemon(['--interval', '10m']);
    await waitFor(async () => (await h.guest('alpha'))?.phase === 'running', { timeoutMs: 20_000 });
    const passesBefore = (await h.status()).passes;
    for (let i = 0; i < 6; i++) {
      await h.write('alpha.yaml', guestYaml('alpha', { knobs: `boot-ms=${50 + (i % 2)} shutdown-ms=50` }));
      await h.commit(`edit ${i}`);
      await h.git('checkout', '-q', 'HEAD~1', '--', '.');
      await h.git('checkout', '-q', 'HEAD', '--', '.');
    }
    const head = await h.git('rev-parse', 'HEAD');
    await waitFor(async () => (await h.status()).lastPass?.revision?.commit === head && (await h.guest('alpha'))?.phase === 'running', { timeoutMs: 30_000 });
    const passes = (await h.status()).passes - passesBefore;
    expect(passes).toBeGreaterThanOrEqual(1);
    expect(passes).toBeLessThanOrEqual(3);
    expect(metricValue(await h.metrics(), 'qvmctl_reconcile_triggers_total{trigger="manifest"}')).toBeGreaterThan(passes);
  });
});
