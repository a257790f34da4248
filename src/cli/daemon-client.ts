// Talks to a running daemon over its UNIX socket (`<stateDir>/qvmctl.sock`, reached as the daemon
// binds it, also when its path is longer than a socket address may be: control-server.ts). "No
// daemon" is an answer (undefined), not an error: commands then say so or fall back to their own view.

import { lstat } from 'node:fs/promises';
import { join } from 'node:path';
import { atSocketAddress, ControlSocketError, type WhyAnswer } from '../daemon/control-socket.js';
import { checkStateDirTrust } from '../runtime/state/trust.js';
import type { DaemonEvent } from '../daemon/event-log.js';
import type { DaemonStatus } from '../daemon/guest-status.js';
import { CliError } from './errors.js';

export type { DaemonStatus, DaemonEvent, WhyAnswer };

/** The daemon's view of the host, or undefined when no daemon runs on this state directory. */
export async function fetchDaemonStatus(stateDir: string): Promise<DaemonStatus | undefined> {
  return fetchDaemon<DaemonStatus>(stateDir, '/status');
}

export async function fetchDaemonEvents(stateDir: string, guest?: string): Promise<readonly DaemonEvent[] | undefined> {
  const path = guest === undefined ? '/events' : `/events?guest=${encodeURIComponent(guest)}`;
  return (await fetchDaemon<{ events: DaemonEvent[] }>(stateDir, path))?.events;
}

export async function fetchDaemonWhy(stateDir: string, guest: string): Promise<WhyAnswer | undefined> {
  return fetchDaemon<WhyAnswer>(stateDir, `/why/${encodeURIComponent(guest)}`);
}

// GET a JSON endpoint; undefined when the socket (or its directory) is missing or nobody listens on it.
// A socket in a directory another user could change may be theirs, not the daemon's: the directory
// is trusted first, as the state directory is (docs/runtime.md, "Whose state directory").
export async function fetchDaemon<T>(controlDir: string, path: string): Promise<T | undefined> {
  await checkStateDirTrust(controlDir);
  const socket = join(controlDir, 'qvmctl.sock');
  try {
    // No socket file, no daemon: node:http is loaded only to ask one (a short command's start-up).
    await lstat(socket);
    // A module of qvmctl's own, not `import('node:http')`: the bundle compiles into CommonJS, where
    // only its own modules load lazily (scripts/bundle-cli.mjs).
    const { getJson } = await import('./daemon-http.js');
    return await atSocketAddress(socket, (socketPath) => getJson<T>(socketPath, path, { isNoDaemon }));
  } catch (error) {
    if (isNoDaemon(error)) return undefined;
    if (error instanceof ControlSocketError) throw new CliError(error.message, { cause: error });
    throw error;
  }
}

export function isNoDaemon(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT' || code === 'ECONNREFUSED' || code === 'ENOTDIR';
}
