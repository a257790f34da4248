// Talks to a running daemon over its UNIX socket (`<stateDir>/qvmctl.sock`, reached as the daemon
// binds it, also when its path is longer than a socket address may be: control-server.ts). "No
// daemon" is an answer (undefined), not an error: commands then say so or fall back to their own view.

import { request } from 'node:http';
import { join } from 'node:path';
import { atSocketAddress, ControlSocketError, type WhyAnswer } from '../daemon/control-server.js';
import { checkStateDirTrust } from '../runtime/state/trust.js';
import type { DaemonEvent } from '../daemon/event-log.js';
import type { DaemonStatus } from '../daemon/guest-status.js';
import { CliError } from './errors.js';

export type { DaemonStatus, DaemonEvent, WhyAnswer };

/** @default 5000 */
const REQUEST_TIMEOUT_MS = 5_000;

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
  try {
    return await atSocketAddress(join(controlDir, 'qvmctl.sock'), (socketPath) => get<T>(socketPath, path));
  } catch (error) {
    if (isNoDaemon(error)) return undefined;
    if (error instanceof ControlSocketError) throw new CliError(error.message, { cause: error });
    throw error;
  }
}

function isNoDaemon(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT' || code === 'ECONNREFUSED' || code === 'ENOTDIR';
}

function get<T>(socketPath: string, path: string): Promise<T | undefined> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, path, method: 'GET', timeout: REQUEST_TIMEOUT_MS }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        if (res.statusCode !== 200) {
          reject(new Error(`daemon answered ${String(res.statusCode)} for ${path}: ${text.trim()}`));
          return;
        }
        try {
          resolve(JSON.parse(text) as T);
        } catch (error) {
          reject(new Error(`daemon sent invalid JSON for ${path}`, { cause: error }));
        }
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`daemon did not answer ${path} within ${REQUEST_TIMEOUT_MS} ms`)));
    req.on('error', (error: NodeJS.ErrnoException) => {
      if (isNoDaemon(error)) resolve(undefined);
      else reject(error);
    });
    req.end();
  });
}
