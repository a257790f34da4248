// The per-system control socket: the running instance's server (which also makes a second instance
// impossible: only one process can listen on an address) and the client used by `qvm-sim guest`.

import { createConnection, createServer, type Server } from 'node:net';
import { rmSync } from 'node:fs';

export const GUEST_ACTIONS = ['shutdown', 'reboot', 'hang', 'crash', 'ignore-power-button', 'status'] as const;
export type GuestAction = (typeof GUEST_ACTIONS)[number];

export interface ControlReply {
  readonly ok: boolean;
  readonly message: string;
}

export function isGuestAction(text: string): text is GuestAction {
  return (GUEST_ACTIONS as readonly string[]).includes(text);
}

function listenOnce(address: string, onAction: (action: string) => ControlReply): Promise<Server> {
  const server = createServer({ allowHalfOpen: false }, (socket) => {
    let input = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      input += chunk;
      const newline = input.indexOf('\n');
      if (newline === -1) return;
      const reply = onAction(input.slice(0, newline).trim());
      socket.end(`${JSON.stringify(reply)}\n`);
    });
    socket.on('error', () => { socket.destroy(); });
  });
  return new Promise((resolvePromise, reject) => {
    server.once('error', reject);
    server.listen(address, () => {
      server.off('error', reject);
      resolvePromise(server);
    });
  });
}

function probe(address: string): Promise<boolean> {
  return new Promise((resolvePromise) => {
    const socket = createConnection(address);
    socket.once('connect', () => { socket.destroy(); resolvePromise(true); });
    socket.once('error', () => { resolvePromise(false); });
  });
}

/** Listens, or resolves undefined when another live instance already does. */
export async function listenControl(address: string, onAction: (action: string) => ControlReply): Promise<Server | undefined> {
  try {
    return await listenOnce(address, onAction);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
    // Abstract addresses vanish with their process; a socket file may be stale (not on Linux).
    if (address.startsWith('\0') || await probe(address)) return undefined;
    rmSync(address, { force: true });
    try {
      return await listenOnce(address, onAction);
    } catch (retryError) {
      if ((retryError as NodeJS.ErrnoException).code === 'EADDRINUSE') return undefined;
      throw retryError;
    }
  }
}

export class GuestNotRunningError extends Error {
  override readonly name = 'GuestNotRunningError';
}

/** Sends one action to a running guest and returns its reply. */
export function sendGuestAction(address: string, action: GuestAction, timeoutMs = 5000): Promise<ControlReply> {
  return new Promise((resolvePromise, reject) => {
    const socket = createConnection(address);
    let output = '';
    socket.setEncoding('utf8');
    socket.setTimeout(timeoutMs, () => { socket.destroy(new Error(`no answer from the guest within ${timeoutMs} ms`)); });
    socket.on('connect', () => { socket.write(`${action}\n`); });
    socket.on('data', (chunk: string) => { output += chunk; });
    socket.on('end', () => {
      try {
        resolvePromise(JSON.parse(output) as ControlReply);
      } catch (error) {
        reject(new Error('malformed answer from the guest', { cause: error }));
      }
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ECONNREFUSED' || error.code === 'ENOENT') reject(new GuestNotRunningError('guest is not running', { cause: error }));
      else reject(error);
    });
  });
}
