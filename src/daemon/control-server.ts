// The control API: HTTP over a UNIX socket in the state directory (mode 0600, so only the state
// directory's owner can ask), and optionally /metrics, /healthz and /readyz on a loopback TCP port.

import { chmod, unlink } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';
import { isNotFound } from '../runtime/state/atomic-file.js';
import type { ShutdownResult } from '../executor/shutdown-sequence.js';
import type { DaemonEvent } from './event-log.js';
import { NoDesiredStateError, type ShutdownRequest } from './shutdown-runner.js';
import type { DaemonStatus } from './guest-status.js';
import type { Readiness } from './readiness.js';
import { atSocketAddress, ControlSocketError, type WhyAnswer } from './control-socket.js';


export interface ControlApi {
  status(): DaemonStatus;
  events(filter: { readonly guest?: string }): readonly DaemonEvent[];
  why(guest: string): WhyAnswer;
  readonly registry: Registry;
  /** Liveness: the process serves and acts (docs/daemon.md, "Health and readiness"). */
  healthy(): boolean;
  /** Readiness: a valid desired state is loaded and the last pass completed. */
  readiness(): Readiness;
  /** The host shutdown sequence (POST /shutdown); absent = not offered. */
  shutdown?(request: ShutdownRequest): Promise<ShutdownResult>;
  /** The web view under /ui/ (docs/ui.md): `path` relative to it. */
  ui?(req: IncomingMessage, res: ServerResponse, path: string, base: string): void;
}

export interface ControlServer {
  /** Address of the TCP listener, when there is one. */
  readonly tcpPort: number | undefined;
  close(): Promise<void>;
}

export interface ControlServerOptions {
  readonly socketPath: string;
  readonly api: ControlApi;
  readonly tcp?: { readonly port: number; readonly host: string };
}

export async function startControlServer(options: ControlServerOptions): Promise<ControlServer> {
  const { api } = options;
  // A socket file left by a daemon that died (we hold the process lock, so it is not in use).
  await unlink(options.socketPath).catch((error: unknown) => {
    if (!isNotFound(error)) throw error;
  });
  const unix = createServer((req, res) => { void handle(api, req, res, 'full'); });
  // The daemon never runs without its socket: a socket that cannot be made is the daemon's end.
  try {
    await atSocketAddress(options.socketPath, (address) => listen(unix, (s) => s.listen(address)));
    await chmod(options.socketPath, 0o600);
  } catch (error) {
    await closeServer(unix);
    if (error instanceof ControlSocketError) throw error;
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    throw new ControlSocketError(`cannot serve the control socket ${options.socketPath} (${code}): ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  let tcp: Server | undefined;
  if (options.tcp !== undefined) {
    const { port, host } = options.tcp;
    tcp = createServer((req, res) => { void handle(api, req, res, 'metrics'); });
    try {
      await listen(tcp, (s) => s.listen(port, host));
    } catch (error) {
      // Nothing is left listening: the daemon does not run half-started.
      await Promise.all([closeServer(unix), closeServer(tcp)]);
      await unlink(options.socketPath).catch(() => undefined);
      const code = (error as NodeJS.ErrnoException).code ?? 'error';
      throw new ControlSocketError(`cannot serve /metrics on ${host}:${port} (${code}): ${code === 'EADDRINUSE' ? 'the port is in use; choose another --metrics-port' : error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
  }
  const address = tcp?.address();
  return {
    tcpPort: typeof address === 'object' && address !== null ? address.port : undefined,
    async close() {
      await Promise.all([closeServer(unix), tcp === undefined ? Promise.resolve() : closeServer(tcp)]);
      await unlink(options.socketPath).catch(() => undefined);
    },
  };
}

async function handle(api: ControlApi, req: IncomingMessage, res: ServerResponse, scope: 'full' | 'metrics'): Promise<void> {
  try {
    const url = new URL(req.url ?? '/', 'http://qvmctl');
    if (scope === 'full' && api.ui !== undefined && (url.pathname === '/ui' || url.pathname.startsWith('/ui/'))) { api.ui(req, res, url.pathname.slice(3), '/ui'); return; }
    if (scope === 'full' && url.pathname === '/shutdown' && req.method === 'POST') {
      // A browser always says where a request comes from; curl and scripts do not. Whatever page a
      // browser shows, it never powers the host off through a socket forwarded to it (docs/ui.md).
      if (req.headers.origin !== undefined) { send(res, 403, { error: 'POST /shutdown is not taken from a web page' }); return; }
      await handleShutdown(api, req, res);
      return;
    }
    if (req.method !== 'GET') { send(res, 405, { error: 'only GET' }); return; }
    if (url.pathname === '/healthz') {
      const ok = api.healthy();
      send(res, ok ? 200 : 503, { ok });
      return;
    }
    if (url.pathname === '/readyz') {
      const readiness = api.readiness();
      send(res, readiness.ready ? 200 : 503, readiness);
      return;
    }
    if (url.pathname === '/metrics') {
      res.writeHead(200, { 'content-type': api.registry.contentType });
      res.end(await api.registry.metrics());
      return;
    }
    if (scope === 'full') {
      if (url.pathname === '/status') { send(res, 200, api.status()); return; }
      if (url.pathname === '/events') {
        const guest = url.searchParams.get('guest');
        send(res, 200, { events: api.events(guest === null ? {} : { guest }) });
        return;
      }
      const why = /^\/why\/([^/]+)$/.exec(url.pathname);
      if (why?.[1] !== undefined) { send(res, 200, api.why(decodeURIComponent(why[1]))); return; }
    }
    send(res, 404, { error: `no such endpoint: ${url.pathname}` });
  } catch (error) {
    send(res, 500, { error: error instanceof Error ? error.message : String(error) });
  }
}

// Body: {"mode": "poweroff" | "reboot" | "none", "forceHost": boolean, "unmanaged": "stop" | "leave" | "refuse"},
// all optional. Answers when the sequence ends.
async function handleShutdown(api: ControlApi, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (api.shutdown === undefined) { send(res, 404, { error: 'shutdown is not offered' }); return; }
  let text = '';
  for await (const chunk of req) text += String(chunk);
  let parsed: unknown;
  try {
    parsed = text.trim() === '' ? {} : JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    send(res, 400, { error: 'Expected a JSON object body, e.g. {"mode": "poweroff"}' });
    return;
  }
  const body = parsed as { mode?: unknown; forceHost?: unknown; unmanaged?: unknown };
  const mode = body.mode ?? 'poweroff';
  if (mode !== 'poweroff' && mode !== 'reboot' && mode !== 'none') { send(res, 400, { error: `Expected \`mode\` to be poweroff, reboot or none, got \`${JSON.stringify(mode)}\`` }); return; }
  const unmanaged = body.unmanaged;
  if (unmanaged !== undefined && unmanaged !== 'stop' && unmanaged !== 'leave' && unmanaged !== 'refuse') { send(res, 400, { error: `Expected \`unmanaged\` to be stop, leave or refuse, got \`${JSON.stringify(unmanaged)}\`` }); return; }
  try {
    send(res, 200, await api.shutdown({ mode, forceHost: body.forceHost === true, ...(unmanaged === undefined ? {} : { unmanaged }) }));
  } catch (error) {
    if (error instanceof NoDesiredStateError) { send(res, 409, { error: error.message }); return; }
    throw error;
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(`${JSON.stringify(body)}\n`);
}

function listen(server: Server, start: (s: Server) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.once('listening', () => {
      server.off('error', reject);
      resolve();
    });
    start(server);
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => { resolve(); });
    server.closeAllConnections();
  });
}
