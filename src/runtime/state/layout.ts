// Where things live in the state directory. Paths are built from guest names only after the name
// is checked to be a DNS label (defence in depth: manifests are validated before they get here).
import { join } from 'node:path';
import { InvalidGuestNameError } from '../errors.js';

const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const RUN_ID = /^[0-9]+-[0-9a-f]+$/;

export function isGuestName(name: string): boolean {
  return DNS_LABEL.test(name);
}

export function assertGuestName(name: string): void {
  if (!isGuestName(name)) throw new InvalidGuestNameError(name);
}

export function isRunId(id: string): boolean {
  return RUN_ID.test(id);
}

/** Paths of one state directory. */
export interface StateLayout {
  readonly root: string;
  readonly guestsDir: string;
  readonly processLock: string;
  readonly monitorScript: string;
  /** `QVM_SIM_DIR` when qvm is the bundled simulator. */
  readonly simDir: string;
  guestDir(name: string): string;
  confFile(name: string, configHash: string): string;
  consoleLog(name: string): string;
  identityFile(name: string): string;
  historyFile(name: string): string;
  startLock(name: string): string;
  stopRequest(name: string): string;
  pidFile(name: string, runId: string): string;
  exitFile(name: string, runId: string): string;
  /** Exit records already reported by `observe`, kept readable as history. */
  consumedExitsDir(name: string): string;
}

export function createStateLayout(root: string): StateLayout {
  const guestsDir = join(root, 'guests');
  const guestDir = (name: string): string => {
    assertGuestName(name);
    return join(guestsDir, name);
  };
  return {
    root,
    guestsDir,
    processLock: join(root, 'qvmctl.lock'),
    monitorScript: join(root, 'monitor.sh'),
    simDir: join(root, 'sim'),
    guestDir,
    confFile: (name, hash) => join(guestDir(name), `${safeHash(hash)}.qvmconf`),
    consoleLog: (name) => join(guestDir(name), 'console.log'),
    identityFile: (name) => join(guestDir(name), 'identity.json'),
    historyFile: (name) => join(guestDir(name), 'history.json'),
    startLock: (name) => join(guestDir(name), 'start.lock'),
    stopRequest: (name) => join(guestDir(name), 'stop-request'),
    pidFile: (name, runId) => join(guestDir(name), `run-${runId}.pid`),
    exitFile: (name, runId) => join(guestDir(name), `run-${runId}.exit.json`),
    consumedExitsDir: (name) => join(guestDir(name), 'exits'),
  };
}

// A config hash becomes a file name: keep it to characters that cannot escape the directory.
function safeHash(hash: string): string {
  const cleaned = hash.replace(/[^A-Za-z0-9_-]/g, '');
  if (cleaned.length === 0) throw new RangeError(`Expected a non-empty config hash, got \`${hash}\``);
  return cleaned.slice(0, 64);
}
