// The per-system control socket: a socket file in the simulator's private `run/` directory, so only
// the user who runs the guest can act on it (docs/simulator.md). The running instance's server also
// makes a second instance impossible (only one process can bind a path); `qvm-sim guest` is the client.

import { rmSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { dirname, join } from 'node:path';
import { SOCKET_PATH_MAX } from './paths.js';

export const GUEST_ACTIONS = ['shutdown', 'reboot', 'hang', 'crash', 'ignore-power-button', 'status'] as const;
export type GuestAction = (typeof GUEST_ACTIONS)[number];

export interface ControlReply {
  readonly ok: boolean;
  readonly message: string;
}

export function isGuestAction(text: string): text is GuestAction {
  return (GUEST_ACTIONS as readonly string[]).includes(text);
}

export class ControlSocketError extends Error {
  override readonly name = 'ControlSocketError';
}

/** Refuses a path the kernel would not take whole (it would bind a truncated one elsewhere). */
export function checkSocketPath(path: string): void {
  const bytes = Buffer.byteLength(path);
  if (bytes > SOCKET_PATH_MAX) {
    throw new ControlSocketError(`control socket path ${path} has ${bytes} bytes, over the ${SOCKET_PATH_MAX}-byte limit of a Unix socket path; use a shorter QVM_SIM_DIR`);
  }
}

function answerActions(onAction: (action: string) => ControlReply): (socket: Socket) => void {
  return (socket) => {
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
  };
}

// Binding a path is exclusive: `in-use` when something is there already, live or left behind.
function listenOnce(path: string, onConnection: (socket: Socket) => void): Promise<Server | 'in-use'> {
  const server = createServer({ allowHalfOpen: false }, onConnection);
  return new Promise((resolvePromise, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE') resolvePromise('in-use');
      else reject(error);
    });
    server.listen(path, () => {
      server.removeAllListeners('error');
      resolvePromise(server);
    });
  });
}

/**
 * `dead`: a file nobody listens on (ECONNREFUSED); `gone`: no file; `live` otherwise, including a
 * listener too busy to accept (EAGAIN): only a certainly dead socket is ever removed.
 */
function probe(path: string): Promise<'live' | 'dead' | 'gone'> {
  return new Promise((resolvePromise) => {
    const socket = createConnection(path);
    socket.once('connect', () => { socket.destroy(); resolvePromise('live'); });
    socket.once('error', (error: NodeJS.ErrnoException) => {
      resolvePromise(error.code === 'ENOENT' ? 'gone' : error.code === 'ECONNREFUSED' ? 'dead' : 'live');
    });
  });
}

/** Listens, or resolves undefined when another live instance already does. */
export async function listenControl(path: string, onAction: (action: string) => ControlReply): Promise<Server | undefined> {
  checkSocketPath(path);
  const server = await listenOnce(path, answerActions(onAction));
  if (server !== 'in-use') return server;
  if (await probe(path) === 'live') return undefined;
  return takeOver(path, onAction);
}

// A socket file left by a killed instance (nothing listens) is removed and bound again, under the
// takeover lock: the holder looks once more first, so of two starts that both found it dead, the
// second sees the first one's live socket instead of removing it.
async function takeOver(path: string, onAction: (action: string) => ControlReply): Promise<Server | undefined> {
  const lock = await acquireTakeoverLock(join(dirname(path), '.t'));
  try {
    if (await probe(path) === 'live') return undefined;
    rmSync(path, { force: true });
    const server = await listenOnce(path, answerActions(onAction));
    return server === 'in-use' ? undefined : server;
  } finally {
    lock.close();
  }
}

const LOCK_WAIT_MS = 5;
const LOCK_TRIES = 2_000;

// The lock is a socket too, so it is released with its holder; one left by a killed holder is removed.
async function acquireTakeoverLock(lockPath: string): Promise<Server> {
  for (let attempt = 0; attempt < LOCK_TRIES; attempt += 1) {
    const lock = await listenOnce(lockPath, (socket) => { socket.destroy(); });
    if (lock !== 'in-use') return lock;
    const state = await probe(lockPath);
    if (state === 'dead') rmSync(lockPath, { force: true });
    else if (state === 'live') await new Promise((resolveWait) => setTimeout(resolveWait, LOCK_WAIT_MS));
  }
  throw new ControlSocketError(`cannot take over the control socket: ${lockPath} stays busy`);
}

export class GuestNotRunningError extends Error {
  override readonly name = 'GuestNotRunningError';
}

/** Sends one action to a running guest and returns its reply. */
export function sendGuestAction(path: string, action: GuestAction, timeoutMs = 5000): Promise<ControlReply> {
  checkSocketPath(path);
  return new Promise((resolvePromise, reject) => {
    const socket = createConnection(path);
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
