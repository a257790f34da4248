// `qvmctl graph` through the CLI's entry point in this process, on manifests that run on the
// simulator, no daemon. It reads the manifests and looks at the host like `status` does, and
// changes nothing.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadManifests } from '../../src/manifest/load.js';
import { createHarness, journalViolations, type Harness } from '../helpers/runtime-harness.js';
import { makeTempDir, removeDir, snapshotTree } from '../helpers/temp-dir.js';
import { runCliInProcess as qvmctl } from '../helpers/cli.js';

let h: Harness;
let dir: string;
beforeEach(async () => {
  h = await createHarness();
  dir = await makeTempDir('graph-cli');
});
afterEach(async () => {
  const journal = await h.journal();
  await h.cleanup();
  await removeDir(dir);
  expect(journalViolations(journal)).toEqual([]);
});

const guestYaml = (name: string, deps: readonly string[], state = 'running'): string => `apiVersion: qvmctl/v1
kind: Guest
metadata: { name: ${name} }
spec:
  state: ${state}
  qvm:
    ram: ["0x80000000,64M"]
    cpus: 1
    simulator: { boot-ms: 50, shutdown-ms: 100 }
  dependsOn: [${deps.join(', ')}]
  shutdown:
    guestCommand: [qvm-sim, guest, "{system}", shutdown]
    guestTimeout: 2s
    powerButtonTimeout: 3s
`;

// svc ← app ← ui; `ui` is meant to be stopped.
async function writeFleet(): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'host.yaml'), `apiVersion: qvmctl/v1
kind: Host
metadata: { name: test }
spec:
  qvm: { simulator: true }
  stateDir: ${h.stateDir}
  shutdown: { command: [shutdown], deadline: 8s }
  commands: { allow: [qvm-sim] }
`);
  await writeFile(join(dir, 'svc.yaml'), guestYaml('svc', []));
  await writeFile(join(dir, 'app.yaml'), guestYaml('app', ['svc']));
  await writeFile(join(dir, 'ui.yaml'), guestYaml('ui', ['app'], 'stopped'));
}

describe('qvmctl graph', () => {
  it('prints the dependency graph with desired state and phase, as DOT and as Mermaid, and changes nothing', async () => {
    await writeFleet();
    const loaded = await loadManifests({ dir });
    const svc = loaded.desired?.guests.find((g) => g.name === 'svc');
    if (svc === undefined) throw new Error('no svc');
    await h.startRunning(svc);
    const before = await snapshotTree(h.stateDir);

    const dot = await qvmctl(['graph', '-f', dir]);
    expect(dot.stderr).toBe('');
    expect(dot.exitCode).toBe(0);
    expect(dot.stdout).toContain('digraph qvmctl {');
    // (`ready` as `status` has it: a look does not run the readiness check of a guest it did not start)
    expect(dot.stdout).toMatch(/"svc" \[label="svc\\ndesired running · running( \(not ready\))?", fillcolor="#c8e6c9"/);
    expect(dot.stdout).toContain('"app" [label="app\\ndesired running · pending", fillcolor="#bbdefb"');
    expect(dot.stdout).toContain('"ui" [label="ui\\ndesired stopped · stopped"');
    expect(dot.stdout).toContain('"app" -> "svc";');
    expect(dot.stdout).toContain('"ui" -> "app";');

    const mermaid = await qvmctl(['graph', '-f', dir, '--format', 'mermaid']);
    expect(mermaid.exitCode).toBe(0);
    expect(mermaid.stdout).toContain('flowchart RL');
    expect(mermaid.stdout).toMatch(/g\d\["svc<br\/>desired running · running( \(not ready\))?"\]/);
    expect(mermaid.stdout).toMatch(/g\d --> g\d/);

    const bad = await qvmctl(['graph', '-f', dir, '--format', 'svg']);
    expect(bad.exitCode).toBe(1);
    expect(bad.stderr).toContain("argument 'svg' is invalid. Allowed choices are dot, mermaid.");
    // A look writes nothing: no exit folded, no record, no fence.
    expect(await snapshotTree(h.stateDir)).toEqual(before);
  });

  it('--shutdown draws the stop waves of what runs, with budgets, the critical path and the deadline', async () => {
    await writeFleet();
    const loaded = await loadManifests({ dir });
    await Promise.all((loaded.desired?.guests ?? []).filter((g) => g.name !== 'ui').map((spec) => h.startRunning(spec)));
    const r = await qvmctl(['graph', '-f', dir, '--shutdown']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain('label="host shutdown: 2 waves, worst case 11 s OVER the deadline of 8 s";');
    expect(r.stdout).toMatch(/subgraph cluster_wave_1 \{\n {4}label="wave 1 \(stops first\)";[\s\S]*?"app" \[label="app\\npid \d+, at most 5 s"/);
    expect(r.stdout).toMatch(/subgraph cluster_wave_2 \{[\s\S]*?"svc" \[label="svc\\npid \d+, at most 5 s"/);
    expect(r.stdout).toContain('"app" -> "svc" [color="#c62828", penwidth=2.5];');
    expect(r.stdout).not.toContain('"ui"');
    expect((await h.runtime.observe()).guests).toHaveLength(2);
  });

  it('names the manifest problem and draws nothing when the manifests are broken', async () => {
    await writeFleet();
    await writeFile(join(dir, 'app.yaml'), guestYaml('app', ['nosuch']));
    const r = await qvmctl(['graph', '-f', dir]);
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('app.yaml');
    expect(r.stderr).toContain('nothing was observed or changed');
    expect(r.stderr).not.toContain('    at ');
  });
});
