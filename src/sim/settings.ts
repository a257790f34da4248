// What the simulated guest does, derived from the parsed configuration: its name, its watchdog and
// the `# qvm-sim:` knobs (timings and behaviours that the real qvm reads as comments).

import type { QvmconfDocument } from '../qvmconf/ast.js';
import { findContexts, lastOption } from '../qvmconf/parse.js';

export type WatchdogType = 'wdt-ib700' | 'wdt-sp805';

export interface SimSettings {
  readonly system: string;
  readonly bootMs: number;
  readonly shutdownMs: number;
  readonly ignorePowerButton: boolean;
  /**
   * How the guest takes the power button (docs/simulator.md): `graceful` shuts down, `ignored`
   * ignores the first press and ends at once on the second (a QNX guest on x86), `abrupt` ends at
   * once (an ARM guest without a vdev of its own for the button).
   */
  readonly powerButton: 'graceful' | 'ignored' | 'abrupt';
  readonly ignoreGuestShutdown: boolean;
  /** Exit code of a guest-initiated reboot: 0 as qvm, or 32–63 as a custom vdev would set. */
  readonly rebootExit: number;
  /** Set: the start fails before the guest runs (exit 64) with this reason. */
  readonly failStart: string | undefined;
  /** A watchdog that ends qvm when the guest hangs (`action terminate`), and its bite delay. */
  readonly watchdog: { readonly type: WatchdogType; readonly biteMs: number } | undefined;
  /** Scripted guest behaviour, counted from `running`. */
  readonly after: Readonly<Partial<Record<'crash' | 'hang' | 'shutdown' | 'reboot', number>>>;
  /** Pass-through devices (`pass loc …`), named in the hardware-damage message. */
  readonly passThrough: readonly string[];
  readonly dumpDir: string | undefined;
}

export class SimSettingsError extends Error {
  override readonly name = 'SimSettingsError';
}

const KNOWN_KNOBS = new Set([
  'boot-ms', 'shutdown-ms', 'ignore-power-button', 'power-button', 'ignore-guest-shutdown', 'reboot-exit', 'fail-start',
  'watchdog-ms', 'crash-after-ms', 'hang-after-ms', 'shutdown-after-ms', 'reboot-after-ms',
]);

function readMs(knobs: QvmconfDocument['simKnobs'], key: string): number | undefined {
  const value = knobs[key];
  if (value === undefined) return undefined;
  const ms = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(ms)) throw new SimSettingsError(`knob \`${key}\`: expected milliseconds (a whole number), got \`${String(value)}\``);
  return ms;
}

function readWatchdog(document: QvmconfDocument, knobs: QvmconfDocument['simKnobs']): SimSettings['watchdog'] {
  const vdev = findContexts(document.entries, 'vdev')
    .find((v) => (v.args[0] === 'wdt-ib700' || v.args[0] === 'wdt-sp805') && /(^|,)terminate$/.test(lastOption(v.children, 'action')?.args[0] ?? ''));
  if (vdev === undefined) return undefined;
  const type = vdev.args[0] as WatchdogType;
  const periodMs = readMs(knobs, 'watchdog-ms') ?? 1000;
  // The sp805 counts down twice before it bites.
  return { type, biteMs: type === 'wdt-sp805' ? 2 * periodMs : periodMs };
}

/** Settings for a parsed configuration; throws SimSettingsError for a bad knob. */
export function readSimSettings(document: QvmconfDocument, fallbackName: string): SimSettings {
  const knobs = document.simKnobs;
  const unknown = Object.keys(knobs).filter((k) => !KNOWN_KNOBS.has(k));
  if (unknown.length > 0) throw new SimSettingsError(`unknown qvm-sim knob${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')}`);
  const rebootExit = readMs(knobs, 'reboot-exit') ?? 0;
  if (rebootExit !== 0 && (rebootExit < 32 || rebootExit > 63)) {
    throw new SimSettingsError(`knob \`reboot-exit\`: expected 0 or a code in 32–63, got \`${rebootExit}\``);
  }
  const failStart = knobs['fail-start'];
  const powerButton = knobs['power-button'] ?? 'graceful';
  if (powerButton !== 'graceful' && powerButton !== 'ignored' && powerButton !== 'abrupt') {
    throw new SimSettingsError(`knob \`power-button\`: expected graceful, ignored or abrupt, got \`${String(powerButton)}\``);
  }
  const after: Partial<Record<'crash' | 'hang' | 'shutdown' | 'reboot', number>> = {};
  for (const what of ['crash', 'hang', 'shutdown', 'reboot'] as const) {
    const ms = readMs(knobs, `${what}-after-ms`);
    if (ms !== undefined) after[what] = ms;
  }
  return {
    system: document.system ?? fallbackName,
    bootMs: readMs(knobs, 'boot-ms') ?? 200,
    shutdownMs: readMs(knobs, 'shutdown-ms') ?? 300,
    ignorePowerButton: knobs['ignore-power-button'] !== undefined,
    powerButton,
    ignoreGuestShutdown: knobs['ignore-guest-shutdown'] !== undefined,
    rebootExit,
    failStart: failStart === undefined ? undefined : failStart === true ? 'configured start-up failure' : failStart,
    watchdog: readWatchdog(document, knobs),
    after,
    passThrough: findContexts(document.entries, 'pass').flatMap((p) => p.children.filter((c) => c.option === 'loc').map((c) => c.args[0] ?? '')),
    dumpDir: lastOption(document.entries, 'dump')?.args[0],
  };
}
