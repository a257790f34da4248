import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadManifests } from '../../src/manifest/load.js';
import { parseQvmconf } from '../../src/qvmconf/parse.js';
import type { QvmconfEntry } from '../../src/qvmconf/ast.js';
import { orderEntries, renderQvmconf, type RenderOption } from '../../src/qvmconf/render.js';
import type { GuestInput } from '../../src/manifest/manifest-types.js';
import { parseYamlFile } from '../../src/manifest/source-document.js';
import { buildStructuredQvm } from '../../src/manifest/structured-qvm.js';

const MANIFESTS = resolve(import.meta.dirname, '../../manifests');

const shape = (entries: readonly QvmconfEntry[]): unknown =>
  entries.map((e) => ({ option: e.option, args: e.args, blobType: e.blobType, children: 'children' in e ? e.children.map((c) => [c.option, ...c.args]) : undefined }));

describe('the example fleet', async () => {
  const loaded = await loadManifests({ dir: MANIFESTS });

  it('validates without any diagnostic', () => {
    expect(loaded.diagnostics).toEqual([]);
    expect(loaded.status).toBe('ok');
    expect(loaded.desired?.guests.map((g) => g.name)).toEqual(['cluster', 'ivi', 'rear-seat', 'svc', 'telematics']);
    expect(loaded.desired?.host.qvm).toEqual({ kind: 'simulator' });
    expect(loaded.desired?.host.stateDir).toBe(resolve(MANIFESTS, '../.qvmctl/state'));
  });

  it('substitutes {system} in guest commands element by element', () => {
    const svc = loaded.desired?.guests.find((g) => g.name === 'svc');
    expect(svc?.shutdown.guestCommand).toEqual(['qvm-sim', 'guest', 'svc', 'shutdown']);
    expect(svc?.readiness).toEqual({ kind: 'log', pattern: 'login:', timeoutMs: 20_000 });
  });

  it('maps user-defined exit codes', () => {
    const ivi = loaded.desired?.guests.find((g) => g.name === 'ivi');
    expect(ivi?.restart.exitCodes).toEqual({ 40: 'reboot', 41: 'poweroff', 42: 'failure' });
  });

  // parse(render(x)) gives back x: the rendered text says exactly what the parsed structure says.
  it.each(['cluster', 'ivi', 'rear-seat', 'svc', 'telematics'])('round-trips %s through render and parse', (name) => {
    const guest = loaded.desired?.guests.find((g) => g.name === name);
    expect(guest).toBeDefined();
    const first = parseQvmconf([{ text: guest?.qvmconf ?? '', file: `${name}.qvmconf` }]);
    if (!first.ok) throw new Error(first.errors.map((e) => e.message).join('; '));
    expect(first.document.system).toBe(guest?.system);
    const again = parseQvmconf([{ text: renderQvmconf({ entries: first.document.entries, simKnobs: first.document.simKnobs }), file: 'again' }]);
    if (!again.ok) throw new Error(again.errors.map((e) => e.message).join('; '));
    // Rendering puts options in qvm's canonical order (system, memory, options, contexts); nothing else changes.
    expect(shape(again.document.entries)).toEqual(shape(orderEntries(first.document.entries)));
    expect(again.document.simKnobs).toEqual(first.document.simKnobs);
    expect(Object.keys(first.document.simKnobs)).toContain('boot-ms');
  });
});

describe('structured examples', () => {
  // parse(render(x)) gives back exactly the options x was built from, for every structured guest.
  it.each(['svc', 'telematics', 'rear-seat'])('%s: the parser reads back every option the manifest gave', async (name) => {
    const file = join(MANIFESTS, `${name}.yaml`);
    const doc = parseYamlFile({ file, bytes: await readFile(file) }).documents[0];
    if (doc === undefined) throw new Error('no document');
    const qvm = (doc.data as GuestInput).spec.qvm;
    const built = buildStructuredQvm({ doc, qvm, name });
    expect(built.diagnostics).toEqual([]);
    const parsed = parseQvmconf([{ text: renderQvmconf({ entries: built.entries, simKnobs: built.simKnobs }), file }]);
    if (!parsed.ok) throw new Error(parsed.errors.map((e) => e.message).join('; '));
    const plain = (entries: readonly RenderOption[]): unknown => entries.map((e) => ({ option: e.option, args: e.args, blobType: e.blobType, children: e.children?.map((c) => [c.option, ...c.args]) }));
    expect(plain(parsed.document.entries)).toEqual(plain(orderEntries(built.entries)));
    expect(parsed.document.simKnobs).toEqual(built.simKnobs);
  });
});
