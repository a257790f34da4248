// Where the simulator keeps its shared state: the journal, damage markers and control sockets.
// Everything lives under one directory (QVM_SIM_DIR) so that tests can isolate runs from each other.

import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export interface SimPaths {
  readonly dir: string;
  readonly journal: string;
  /** Present while a qvm holds the system's hardware; left behind by a SIGKILLed instance. */
  readonly hardwareClaim: string;
  /** Present after a power cut or watchdog bite until the next boot's filesystem check. */
  readonly diskDirty: string;
  /** The private directory (mode 0700) of the control sockets: only this user can reach a guest. */
  readonly runDir: string;
  /** The control socket, a socket file in `runDir` (docs/simulator.md). */
  readonly controlSocket: string;
}

/** The longest path a Unix socket can have: sun_path holds 108 bytes, the last one a NUL. */
export const SOCKET_PATH_MAX = 107;

/** The simulator directory: `$QVM_SIM_DIR`, or `qvm-sim` under the temp dir. */
export function resolveSimDir(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env.QVM_SIM_DIR;
  return resolve(fromEnv !== undefined && fromEnv !== '' ? fromEnv : join(tmpdir(), 'qvm-sim'));
}

// 64-bit FNV-1a, hex: short stable names for socket files (sun_path holds only 107 bytes).
export function hashText(text: string): string {
  let hash = 0xcbf29ce484222325n;
  for (const byte of Buffer.from(text)) {
    hash ^= BigInt(byte);
    hash = (hash * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return hash.toString(16).padStart(16, '0');
}

/** A system name made safe to use as a file name (qvm system names are plain words in practice). */
function fileNameOf(system: string): string {
  return /^[A-Za-z0-9._-]{1,64}$/.test(system) && !system.startsWith('.') ? system : `h-${hashText(system)}`;
}

export function simPaths(dir: string, system: string): SimPaths {
  const name = fileNameOf(system);
  const runDir = join(dir, 'run');
  // A long system name gives way to its hash; a path still too long is refused where it is used.
  const named = join(runDir, `${name}.sock`);
  const controlSocket = Buffer.byteLength(named) <= SOCKET_PATH_MAX ? named : join(runDir, `${hashText(system)}.sock`);
  return {
    dir,
    journal: join(dir, 'journal.jsonl'),
    hardwareClaim: join(dir, 'hardware', `${name}.claim`),
    diskDirty: join(dir, 'disk', `${name}.dirty`),
    runDir,
    controlSocket,
  };
}
