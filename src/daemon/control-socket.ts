// How a client and the daemon reach the control socket, apart from the server (control-server.ts),
// so that a command asking the daemon loads neither the server nor what it serves.

import { constants, existsSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import type { Decision } from './event-log.js';
import type { GuestStatus } from './guest-status.js';

export interface WhyAnswer {
  readonly guest: string;
  readonly status: GuestStatus | undefined;
  readonly decisions: readonly Decision[];
}

/**
 * The longest path a UNIX socket can be bound or reached by: `sun_path` holds 108 bytes on Linux
 * (104 elsewhere), the terminating NUL included. A longer path is silently cut short by the system.
 */
export const MAX_SOCKET_PATH_BYTES = process.platform === 'linux' ? 107 : 103;

/** The control socket cannot be bound or reached by its path, or the metrics listener cannot be served (docs/daemon.md, "Control API"). */
export class ControlSocketError extends Error {
  override readonly name = 'ControlSocketError';
}

/**
 * Runs `fn` with an address for the socket file at `path` that fits `sun_path`: the path itself
 * when it fits; else, on Linux, the same file reached through `/proc/self/fd/N/` of a descriptor
 * of its directory held open meanwhile (always short, and the file stays where it is, in the
 * private state directory). Elsewhere a long path is an error naming the limit.
 */
export async function atSocketAddress<T>(path: string, fn: (address: string) => Promise<T>): Promise<T> {
  const bytes = Buffer.byteLength(path);
  if (bytes <= MAX_SOCKET_PATH_BYTES) return fn(path);
  if (!existsSync('/proc/self/fd')) {
    throw new ControlSocketError(`the control socket ${path} is ${bytes} bytes long, more than the ${MAX_SOCKET_PATH_BYTES} a UNIX socket path may have: choose a shorter --state-dir`);
  }
  const dir = await open(dirname(path), constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    return await fn(`/proc/self/fd/${dir.fd}/${basename(path)}`);
  } finally {
    await dir.close();
  }
}
