// qvm mode: parse the configuration, refuse what qvm would refuse, then run the simulated guest
// until it ends. Resolves with the qvm exit code; the entry point ends the process with it.

import { parseQvmconf } from '../qvmconf/parse.js';
import { ConfigFileError, readQvmCommandLine } from './command-line.js';
import { listenControl } from './control.js';
import { inspectClaim } from './damage.js';
import { SimulatedGuest } from './guest.js';
import { appendJournal } from './journal.js';
import { resolveSimDir, simPaths } from './paths.js';
import { ensurePrivateDir } from './private-dir.js';
import { readSimSettings, SimSettingsError, type SimSettings } from './settings.js';
import { describeConfiguration } from './summary.js';

export const EXIT_FATAL_BEFORE_START = 64;
export const EXIT_CONFIG_ERROR = 65;

export interface QvmIo {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
}

type PendingSignal = 'SIGTERM' | 'SIGINT' | 'SIGQUIT' | 'SIGUSR1' | 'SIGUSR2';
const HANDLED_SIGNALS: readonly PendingSignal[] = ['SIGTERM', 'SIGINT', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'];

function readSettings(args: readonly string[], io: QvmIo): { settings: SimSettings; dryrun: string[] | undefined } | number {
  let commandLine;
  try {
    commandLine = readQvmCommandLine(args);
  } catch (error) {
    if (!(error instanceof ConfigFileError)) throw error;
    io.err(`qvm-sim: ${error.message}`);
    return EXIT_CONFIG_ERROR;
  }
  const parsed = parseQvmconf(commandLine.sources);
  if (!parsed.ok) {
    for (const e of parsed.errors) io.err(`${e.file}:${e.line}:${e.col}: error: ${e.message}`);
    io.err(`qvm-sim: fatal configuration error (${parsed.errors.length} problem${parsed.errors.length > 1 ? 's' : ''})`);
    return EXIT_CONFIG_ERROR;
  }
  try {
    const settings = readSimSettings(parsed.document, commandLine.fallbackName);
    const dryrun = parsed.document.entries.some((e) => e.option === 'dryrun') ? describeConfiguration(parsed.document, settings) : undefined;
    return { settings, dryrun };
  } catch (error) {
    if (!(error instanceof SimSettingsError)) throw error;
    io.err(`qvm-sim: fatal configuration error: ${error.message}`);
    return EXIT_CONFIG_ERROR;
  }
}

/** Runs one simulated qvm; resolves with its exit code. */
export async function runQvm(args: readonly string[], io: QvmIo): Promise<number> {
  // Signals that arrive before the guest exists are kept and delivered to it once it boots.
  const pending: PendingSignal[] = [];
  const current: { guest?: SimulatedGuest } = {};
  const deliver = (signal: PendingSignal): void => {
    const guest = current.guest;
    if (guest === undefined) { pending.push(signal); return; }
    if (signal === 'SIGTERM' || signal === 'SIGINT') guest.powerButton(signal);
    else if (signal === 'SIGQUIT') guest.powerCut();
    else guest.status(signal);
  };
  for (const signal of HANDLED_SIGNALS) process.on(signal, deliver);

  const read = readSettings(args, io);
  if (typeof read === 'number') return read;
  const { settings, dryrun } = read;
  if (dryrun !== undefined) {
    for (const line of dryrun) io.out(line);
    return 0;
  }
  const paths = simPaths(resolveSimDir(), settings.system);
  ensurePrivateDir(paths.dir);
  ensurePrivateDir(paths.runDir);
  const journal = (fields: Parameters<typeof appendJournal>[0]['fields']): void => {
    appendJournal({ path: paths.journal, system: settings.system, fields });
  };
  const refuse = (message: string, reason: string): number => {
    io.err(`qvm-sim: ${settings.system}: fatal: ${message}`);
    journal({ event: 'refused', reason });
    journal({ event: 'exit', code: EXIT_FATAL_BEFORE_START });
    return EXIT_FATAL_BEFORE_START;
  };

  let onExit: (code: number) => void = () => undefined;
  const exited = new Promise<number>((resolveExit) => { onExit = resolveExit; });
  const server = await listenControl(paths.controlSocket, (action) => current.guest?.guestAction(action) ?? { ok: false, message: 'guest is not up yet' });
  if (server === undefined) return refuse(`system ${settings.system} is already running in ${paths.dir}`, 'already-running');
  const close = (): void => { server.close(); };

  const claim = inspectClaim(paths.hardwareClaim);
  if (claim.state !== 'free') {
    close();
    if (claim.state === 'held') return refuse(`hardware of ${settings.system} is held by pid ${claim.owner.pid}`, 'hardware-busy');
    const devices = settings.passThrough.length > 0 ? `pass-through hardware (${settings.passThrough.join(', ')})` : 'pass-through hardware';
    journal({ event: 'damage', kind: 'hardware', reason: `abandoned by pid ${claim.owner.pid}` });
    return refuse(`${devices} is unrecoverable: pid ${claim.owner.pid} was killed without releasing it; reset the host (qvm-sim reset ${settings.system})`, 'hardware-unrecoverable');
  }
  if (settings.failStart !== undefined) {
    close();
    return refuse(settings.failStart, 'fail-start');
  }

  const guest = new SimulatedGuest({ settings, paths, console: io.out, onExit: (code) => { close(); onExit(code); } });
  current.guest = guest;
  guest.boot();
  for (const signal of pending.splice(0)) deliver(signal);
  return exited;
}
