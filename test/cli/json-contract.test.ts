// The JSON contract (docs/cli.md, "JSON output"): the built CLI's real outputs, from every command
// that prints a result, validated against schemas/output/. On stdout one document with apiVersion
// and kind; on stderr, with -o json, only one-line documents (Diagnostic, Message, Error), the
// Error carrying the exit code the command ends with.
import { readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDaemonHarness, guestYaml, type DaemonHarness } from '../helpers/daemon-harness.js';
import { runCliInProcess, runQvmctl, type CliRun } from '../helpers/cli.js';
import { waitFor } from '../helpers/wait-for.js';

const SCHEMAS = resolve(import.meta.dirname, '../../schemas/output');

let validators: Map<string, ValidateFunction>;
let h: DaemonHarness;

beforeAll(async () => {
  const ajv = new Ajv2020({ allErrors: true, strict: true });
  const files = (await readdir(SCHEMAS)).filter((f) => f.endsWith('.schema.json'));
  for (const file of files) ajv.addSchema(JSON.parse(await readFile(join(SCHEMAS, file), 'utf8')) as object, file);
  validators = new Map(files.filter((f) => f !== 'common.schema.json').map((f) => [f.replace('.schema.json', ''), ajv.getSchema(f) as ValidateFunction]));
  h = await createDaemonHarness({}, { git: false });
  await h.write('svc.yaml', guestYaml('svc'));
  await h.write('app.yaml', guestYaml('app', { spec: '  dependsOn: [svc]\n' }));
});
afterAll(async () => {
  await h.cleanup();
});

/** The document's kind, after checking it against its schema. */
function checked(text: string, kind: string): Record<string, unknown> {
  const doc = JSON.parse(text) as Record<string, unknown>;
  expect(doc['apiVersion']).toBe('qvmctl/v1');
  expect(doc['kind']).toBe(kind);
  const validate = validators.get(kind);
  expect(validate, `a schema for ${kind}`).toBeDefined();
  if (validate?.(doc) !== true) expect.fail(`${kind} does not match its schema: ${JSON.stringify(validate?.errors, null, 2)}\n${text}`);
  return doc;
}

/** Every stderr line of a -o json run is a document; returns them. */
function stderrDocuments(run: CliRun): Record<string, unknown>[] {
  return run.stderr.split('\n').filter((l) => l !== '').map((line) => {
    const doc = JSON.parse(line) as { kind: string };
    return checked(line, doc.kind);
  });
}

const qvmctl = (...args: string[]): Promise<CliRun> => runQvmctl([...args, '-f', h.manifestDir]);
/** The commands that only read and print, through the CLI's entry point in this process. */
const look = (...args: string[]): Promise<CliRun> => runCliInProcess([...args, '-f', h.manifestDir]);

describe('every result as a document', () => {
  it('validate, render, plan, graph before anything runs', async () => {
    const validate = await look('validate', '-o', 'json');
    expect(validate.exitCode).toBe(0);
    expect(checked(validate.stdout, 'ValidationReport')['guests']).toEqual(['app', 'svc']);
    checked((await look('render', 'app', '-o', 'json')).stdout, 'GuestConfig');
    const plan = await look('plan', '-o', 'json');
    expect(stderrDocuments(plan)).toEqual([]);
    expect((checked(plan.stdout, 'Plan')['changes'] as unknown[]).length).toBe(2);
    checked((await look('graph', '-o', 'json')).stdout, 'Graph');
    checked((await look('shutdown', '--dry-run', '-o', 'json')).stdout, 'ShutdownPlan');
  });

  it('apply, start, stop, restart, status, fence and a shutdown without the host', async () => {
    const apply = await qvmctl('apply', '-o', 'json');
    expect(apply.exitCode).toBe(0);
    expect(checked(apply.stdout, 'ApplyResult')).toMatchObject({ action: 'apply', ok: true });
    for (const action of ['stop', 'start', 'restart']) {
      const run = await qvmctl(action, 'app', '-o', 'json');
      expect(run.exitCode, run.stderr).toBe(0);
      expect(checked(run.stdout, 'ApplyResult')).toMatchObject({ action, ok: true });
    }
    const status = checked((await qvmctl('status', '-o', 'json')).stdout, 'Status');
    expect(status).toMatchObject({ source: 'local', daemon: null });
    checked((await qvmctl('graph', '--shutdown', '-o', 'json')).stdout, 'Graph');
    checked((await qvmctl('shutdown', '--dry-run', '-o', 'json')).stdout, 'ShutdownPlan');
    const shutdown = await qvmctl('shutdown', '--no-host', '-o', 'json');
    expect(shutdown.exitCode).toBe(0);
    checked(shutdown.stdout, 'ShutdownResult');
    // Progress went to stderr as Message lines, never into the document on stdout.
    expect(stderrDocuments(shutdown).map((d) => d['kind'])).toContain('Message');
    expect(checked((await qvmctl('fence', '-o', 'json')).stdout, 'Fence')['fenced']).toBe(true);
    // Under the fence apply holds the starts; a one-off start is refused whole.
    const held = checked((await qvmctl('apply', '-o', 'json')).stdout, 'ApplyResult');
    expect((held['plan'] as { holds: { reason: string }[] }).holds.map((x) => x.reason)).toEqual(['fenced', 'fenced']);
    const fenced = await qvmctl('start', 'app', '-o', 'json');
    expect(fenced.exitCode).toBe(3);
    expect(fenced.stdout).toBe('');
    expect(stderrDocuments(fenced).at(-1)).toMatchObject({ kind: 'Error', exitCode: 3, reason: 'fenced' });
    expect(checked((await qvmctl('fence', '--lift', '-o', 'json')).stdout, 'Fence')['lifted']).toBe(true);
  });

  it('status has the same shape from a daemon, and events and why answer as documents', async () => {
    await h.startDaemon();
    await waitFor(async () => (await h.status()).guests.every((g) => g.phase === 'running') && (await h.status()).guests.length === 2, { timeoutMs: 20_000, message: 'both guests running' });
    const local = checked((await qvmctl('status', '-o', 'json')).stdout, 'Status');
    expect(local['source']).toBe('daemon');
    expect(Object.keys(local)).toEqual(['apiVersion', 'kind', 'source', 'daemon', 'release', 'guests', 'unmanaged']);
    expect(checked((await qvmctl('events', '-o', 'json')).stdout, 'EventList')['events']).not.toEqual([]);
    expect(checked((await qvmctl('why', 'app', '-o', 'json')).stdout, 'GuestExplanation')['known']).toBe(true);
    await h.stopDaemon();
  });

  it('bundle', async () => {
    const run = await qvmctl('bundle', '-o', join(h.root, 'fleet.qvmb'), '--output', 'json');
    expect(run.exitCode, run.stderr).toBe(0);
    checked(run.stdout, 'Bundle');
  });
});

describe('errors as documents, with the exit code', () => {
  it('invalid manifests: each problem a Diagnostic, then the Error; nothing on stdout', async () => {
    await h.write('broken.yaml', 'apiVersion: qvmctl/v1\nkind: Guest\nmetadata: { name: broken }\nspec:\n  qvm: { cpus: many }\n');
    try {
      const plan = await look('plan', '-o', 'json');
      expect(plan.exitCode).toBe(1);
      expect(plan.stdout).toBe('');
      const docs = stderrDocuments(plan);
      expect(docs.some((d) => d['kind'] === 'Diagnostic' && d['file'] !== undefined && typeof d['line'] === 'number')).toBe(true);
      expect(docs.at(-1)).toMatchObject({ kind: 'Error', exitCode: 1, reason: 'invalid-manifests' });
      // validate reports the same problems as its result, on stdout.
      const validate = await look('validate', '-o', 'json');
      expect(validate.exitCode).toBe(1);
      expect(checked(validate.stdout, 'ValidationReport')['valid']).toBe(false);
    } finally {
      await h.remove('broken.yaml');
    }
  });

  it('an unknown guest, a usage mistake, no daemon', async () => {
    const unknown = await look('render', 'nosuch', '-o', 'json');
    expect(unknown.exitCode).toBe(1);
    expect(stderrDocuments(unknown)).toMatchObject([{ kind: 'Error', reason: 'not-found' }]);
    const usage = await runCliInProcess(['status', '--no-such-option', '-o', 'json']);
    expect(usage.exitCode).toBe(1);
    expect(stderrDocuments(usage)).toMatchObject([{ kind: 'Error', reason: 'usage' }]);
    const events = await look('events', '-o', 'json');
    expect(events.exitCode).toBe(3);
    expect(stderrDocuments(events)).toMatchObject([{ kind: 'Error', exitCode: 3, reason: 'no-daemon' }]);
  });

  it('text mode keeps one plain line', async () => {
    const run = await look('render', 'nosuch');
    expect(run.stderr).toMatch(/^qvmctl: no guest named `nosuch`/);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
  });
});

describe('the exit codes', () => {
  it('are listed in qvmctl --help', async () => {
    const help = await runCliInProcess(['--help']);
    expect(help.exitCode).toBe(0);
    const table = help.stdout.slice(help.stdout.indexOf('Exit codes:'));
    for (const code of [0, 1, 2, 3, 4]) expect(table).toMatch(new RegExp(`^  ${code}  \\S`, 'm'));
  });
});
