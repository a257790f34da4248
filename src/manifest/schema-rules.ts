// The schemas' combination rules (exactly one qvm form, exactly one readiness check, runmask or
// cluster, path or simulator), each turned into one message: ajv reports a failed `oneOf` as the
// failure of every branch, which would bury what to change (docs/manifests.md, "Validation").

import type { ErrorObject } from 'ajv/dist/2020.js';
import type { ManifestKind } from './schema-check.js';
import type { FieldPath } from './source-document.js';

export interface RuleProblem {
  readonly code: string;
  readonly path: FieldPath;
  readonly target: 'key' | 'value';
  readonly message: string;
}

export interface Rule {
  readonly kinds: readonly ManifestKind[];
  /** The object the rule is about (ajv's instancePath). */
  readonly instance: RegExp;
  /** The part of the schema that holds the rule (ajv's schemaPath). */
  readonly schema: RegExp;
  /** The one problem, from the object's data; undefined when another rule says it already. */
  readonly describe: (data: Readonly<Record<string, unknown>>, base: FieldPath) => RuleProblem | undefined;
}

/** The structured fields of spec.qvm: the third form (schemas/guest.schema.json, `$defs/qvm`). */
export const STRUCTURED_KEYS = ['system', 'cpus', 'ram', 'rom', 'load', 'initrd', 'cmdline', 'vdevs', 'pass', 'reserve', 'logger', 'dump', 'set', 'options', 'simulator'] as const;
const READINESS_WAYS = ['command', 'logPattern', 'minUptime'] as const;

const has = (data: Readonly<Record<string, unknown>>, key: string): boolean => data[key] !== undefined;

const RULES: readonly Rule[] = [
  {
    kinds: ['Guest'],
    instance: /^\/spec\/qvm$/,
    schema: /\/oneOf(\/|$)/,
    describe: (data, base) => {
      const forms = [has(data, 'config') ? ['config'] : [], has(data, 'configFile') ? ['configFile'] : [], STRUCTURED_KEYS.filter((k) => has(data, k))];
      const used = forms.filter((f) => f.length > 0);
      const message = used.length === 0
        ? 'spec.qvm needs one of: structured fields (ram, cpus, vdevs…), `configFile`, or `config`'
        : `spec.qvm mixes forms (${used.map((f) => f.join(', ')).join(' / ')}): use structured fields OR configFile OR config`;
      const key = used[1]?.[0];
      return { code: 'qvm-form', path: key === undefined ? base : [...base, key], target: 'key', message };
    },
  },
  {
    kinds: ['Guest'],
    instance: /^\/spec\/readiness$/,
    schema: /\/oneOf(\/|$)/,
    describe: (data, base) => {
      const ways = READINESS_WAYS.filter((k) => has(data, k));
      return ways.length === 0
        ? { code: 'readiness', path: base, target: 'key', message: 'readiness needs one of `command`, `logPattern` or `minUptime`' }
        : { code: 'readiness', path: [...base, ways[1] ?? ''], target: 'key', message: `readiness takes one of \`command\`, \`logPattern\` or \`minUptime\`, got ${ways.map((w) => `\`${w}\``).join(' and ')}` };
    },
  },
  {
    kinds: ['Guest'],
    instance: /^\/spec\/readiness$/,
    schema: /\/dependentSchemas\/interval\//,
    describe: (_data, base) => ({ code: 'readiness', path: [...base, 'interval'], target: 'key', message: '`interval` applies only to a readiness `command`' }),
  },
  {
    kinds: ['Guest'],
    instance: /^\/spec\/readiness$/,
    schema: /\/dependentSchemas\/minUptime\//,
    describe: (data, base) => (READINESS_WAYS.filter((k) => has(data, k)).length !== 1
      ? undefined // the one-check rule says what to change first
      : { code: 'readiness', path: [...base, 'timeout'], target: 'key', message: '`timeout` does not apply to `minUptime`' }),
  },
  {
    kinds: ['Guest'],
    instance: /^\/spec\/qvm\/cpus\/[0-9]+$/,
    schema: /\/not$/,
    describe: (_data, base) => ({ code: 'cpu-conflict', path: base, target: 'value', message: 'a vCPU takes `runmask` or `cluster`, not both' }),
  },
  {
    kinds: ['Host'],
    instance: /^\/spec\/qvm$/,
    schema: /\/not(\/|$)/,
    describe: (_data, base) => ({ code: 'host-qvm', path: [...base, 'simulator'], target: 'key', message: 'spec.qvm takes `path` or `simulator: true`, not both' }),
  },
  {
    kinds: ['Host'],
    instance: /^\/spec\/maintenanceWindows\/[0-9]+$/,
    schema: /\/not(\/|$)/,
    describe: (_data, base) => ({ code: 'window-time-zone', path: [...base, 'timeZone'], target: 'key', message: 'a maintenance window takes `utc: true` or `timeZone`, not both' }),
  },
];

/**
 * The rule an ajv error belongs to, as a key shared by every error of that rule at that object
 * (so a rule is reported once), or undefined for an error of a plain keyword.
 */
export function ruleOf(kind: ManifestKind, error: ErrorObject): { readonly key: string; readonly rule: Rule } | undefined {
  const index = RULES.findIndex((r) => r.kinds.includes(kind) && r.instance.test(error.instancePath) && r.schema.test(error.schemaPath));
  const rule = RULES[index];
  return rule === undefined ? undefined : { key: `${index}:${error.instancePath}`, rule };
}
