// The exactly-one-of rules live in the schemas (so editors flag them too) and still read as one
// clear message each, at the node to change.
import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { classifyDocument } from '../../src/manifest/classify.js';
import { STRUCTURED_KEYS } from '../../src/manifest/schema-rules.js';
import { parseYamlFile } from '../../src/manifest/source-document.js';

const check = (text: string) => {
  const [doc] = parseYamlFile({ file: 'm.yaml', bytes: Buffer.from(text) }).documents;
  if (doc === undefined) throw new Error('no document');
  return classifyDocument(doc).diagnostics.map((d) => `${d.line ?? '-'}:${d.col ?? '-'} ${d.code} ${d.message}`);
};
const guest = (spec: string): string => `apiVersion: qvmctl/v1\nkind: Guest\nmetadata: { name: g }\nspec:\n${spec}`;

// An editor's view: the schemas alone, with a plain ajv (no qvmctl options).
const editor = (() => {
  const ajv = new Ajv2020({ strict: false });
  for (const name of ['common', 'guest', 'host']) ajv.addSchema(JSON.parse(readFileSync(new URL(`../../schemas/${name}.schema.json`, import.meta.url), 'utf8')) as object, `${name}.schema.json`);
  return (kind: 'guest' | 'host', value: unknown): boolean => ajv.validate(`${kind}.schema.json`, value);
})();

describe('combination rules of the schemas', () => {
  it('report a mix of qvm forms once, at the second form', () => {
    expect(check(guest('  qvm:\n    config: "system g"\n    ram: [128M]\n    vdevs: []\n'))).toEqual([
      '7:5 qvm-form spec.qvm mixes forms (config / ram, vdevs): use structured fields OR configFile OR config',
    ]);
  });

  it('report a qvm without a form once, at spec.qvm', () => {
    expect(check(guest('  qvm:\n    extraArgs: [-v]\n'))).toEqual([
      '5:3 qvm-form spec.qvm needs one of: structured fields (ram, cpus, vdevs…), `configFile`, or `config`',
    ]);
  });

  it('report two readiness checks once, and interval / timeout where they do not apply', () => {
    expect(check(guest('  qvm: { config: "system g" }\n  readiness: { command: [probe], logPattern: x, timeout: 5s }\n'))).toEqual([
      '6:34 readiness readiness takes one of `command`, `logPattern` or `minUptime`, got `command` and `logPattern`',
    ]);
    expect(check(guest('  qvm: { config: "system g" }\n  readiness: {}\n'))).toEqual(['6:3 readiness readiness needs one of `command`, `logPattern` or `minUptime`']);
    expect(check(guest('  qvm: { config: "system g" }\n  readiness: { minUptime: 1s, interval: 1s, timeout: 2s }\n'))).toEqual([
      '6:31 readiness `interval` applies only to a readiness `command`',
      '6:45 readiness `timeout` does not apply to `minUptime`',
    ]);
  });

  it('report a vCPU with runmask and cluster at that vCPU', () => {
    expect(check(guest('  qvm:\n    ram: [128M]\n    cpus:\n      - { runmask: 0, cluster: big }\n'))).toEqual([
      '8:9 cpu-conflict a vCPU takes `runmask` or `cluster`, not both',
    ]);
  });

  it('report a Host qvm with path and simulator: true', () => {
    expect(check('apiVersion: qvmctl/v1\nkind: Host\nspec:\n  qvm: { path: /usr/sbin/qvm, simulator: true }\n')).toEqual([
      '4:31 host-qvm spec.qvm takes `path` or `simulator: true`, not both',
    ]);
    expect(check('apiVersion: qvmctl/v1\nkind: Host\nspec:\n  qvm: { path: /usr/sbin/qvm, simulator: false }\n')).toEqual([]);
  });

  it('count every structured qvm field as the structured form, in the schema and in the message', () => {
    const qvm = (JSON.parse(readFileSync(new URL('../../schemas/guest.schema.json', import.meta.url), 'utf8')) as { $defs: { qvm: { properties: object; oneOf: [unknown, unknown, { anyOf: { required: string[] }[] }] } } }).$defs.qvm;
    const structured = Object.keys(qvm.properties).filter((k) => !['config', 'configFile', 'extraArgs'].includes(k));
    expect(qvm.oneOf[2].anyOf.map((branch) => branch.required[0])).toEqual(structured);
    expect([...STRUCTURED_KEYS]).toEqual(structured);
  });

  it('are the schemas\' own, so an editor flags them too', () => {
    const base = { apiVersion: 'qvmctl/v1', kind: 'Guest', metadata: { name: 'g' } };
    expect(editor('guest', { ...base, spec: { qvm: { config: 'system g' } } })).toBe(true);
    expect(editor('guest', { ...base, spec: { qvm: { config: 'system g', ram: ['1M'] } } })).toBe(false);
    expect(editor('guest', { ...base, spec: { qvm: { extraArgs: ['-v'] } } })).toBe(false);
    expect(editor('guest', { ...base, spec: { qvm: { config: 'system g' }, readiness: { command: ['a'], minUptime: '1s', timeout: '1s' } } })).toBe(false);
    expect(editor('guest', { ...base, spec: { qvm: { cpus: [{ runmask: 0, cluster: 'a' }] } } })).toBe(false);
    expect(editor('host', { apiVersion: 'qvmctl/v1', kind: 'Host', spec: { qvm: { path: 'qvm', simulator: true } } })).toBe(false);
  });
});
