// The daemon's read-only web view (docs/ui.md): the page, its script and style — all served from
// here, nothing from elsewhere — and what it shows, as JSON and as a stream of server-sent events
// that carries a panel again whenever it changed. It has no write action: every answer is to a GET.
// Served on a TCP listener of its own (`qvmctl run --ui-port`), and under /ui/ on the control socket.

import { readFileSync, readdirSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { isIP } from 'node:net';
import type { DesiredState } from '../model/host-spec.js';
import { PASS_LOCK_PREEMPT_MS } from '../executor/pass-lock-hold.js';
import { fallbackShutdown } from '../planner/shutdown-plan.js';
import { PHASE_COLORS } from '../render/guest-graph.js';
import { eventsPart, graphPart, shutdownPart, statusPart, type DaemonSummary, type WhyPart } from '../render/web-view.js';

export interface WebViewSource {
  status(): DaemonSummary;
  events(): readonly { readonly time: number; readonly guest: string | undefined; readonly type: string; readonly reason: string; readonly message: string; readonly count: number }[];
  decisions(guest: string): WhyPart['decisions'];
  /** The desired state in use (the last good one). */
  desired(): DesiredState | undefined;
  /** `last-shutdown.json` as the host port reads it (undefined: none). */
  lastShutdown(): Promise<unknown>;
  readonly now?: () => number;
}

export interface WebView {
  /**
   * Answers a request; `path` is relative to where the view is mounted (`/` is the page), `base`
   * that mount point (`''` on its own listener, `/ui` on the control socket).
   */
  handle(req: IncomingMessage, res: ServerResponse, path: string, base: string): void;
  /** Something the page shows may have changed: the changed panels go to every open page. */
  changed(): void;
  /** Starts its own TCP listener; resolves with its port. */
  listen(address: { readonly port: number; readonly host: string }): Promise<number>;
  /** Ends every stream and the listener. */
  close(): Promise<void>;
  /** Pages connected to the stream. */
  readonly clients: number;
}

/** The listener cannot be opened (the port is taken, the address is not this host's…). */
export class WebViewListenError extends Error {
  override readonly name = 'WebViewListenError';
}

/**
 * Only this origin, nothing inline, no frames, no forms: the page runs the scripts served here and
 * talks to this server alone (docs/ui.md, "Security").
 */
export const CONTENT_SECURITY_POLICY = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  // No Cross-Origin-Opener-Policy: it makes each navigation to the page a new renderer process,
  // 150 ms of first paint in headless Chromium here (docs/ui.md, "Security"), and the page has no
  // frame and nothing a window handle reveals past the same-origin policy.
  'cross-origin-resource-policy': 'same-origin',
};

/** Panels the stream carries, each as a named event. */
const PARTS = ['status', 'graph', 'shutdown', 'events'] as const;
type PartName = (typeof PARTS)[number];
/** Changes within this long go out together (a pass records several events in a row). */
const COALESCE_MS = 50;
/** A comment line now and then, so that proxies and the page can tell a quiet stream from a dead one. */
const KEEPALIVE_MS = 25_000;
/** Open streams at most: each costs a socket and a copy of every change. */
const MAX_CLIENTS = 32;
/** A page that does not read its stream is dropped beyond this much unsent (it reconnects afresh). */
const MAX_BACKLOG_BYTES = 4 * 1024 * 1024;

interface Asset {
  readonly type: string;
  readonly body: Buffer;
}

// The page's files: HTML, style and icon from web/, the scripts as the build compiled them into
// dist/web/ (both two levels above this module, in the source tree and in the built one).
function loadAssets(): Map<string, Asset> {
  const web = new URL('../../web/', import.meta.url);
  const scripts = new URL('../../dist/web/', import.meta.url);
  const assets = new Map<string, Asset>([
    ['/', { type: 'text/html; charset=utf-8', body: readFileSync(new URL('index.html', web)) }],
    // One style sheet (one request before the first paint): the page's, then the phase colours.
    ['/style.css', { type: 'text/css; charset=utf-8', body: Buffer.concat([readFileSync(new URL('style.css', web)), Buffer.from(phaseStyle())]) }],
    ['/favicon.svg', { type: 'image/svg+xml', body: readFileSync(new URL('favicon.svg', web)) }],
  ]);
  let names: string[];
  try {
    names = readdirSync(scripts).filter((n) => /^[a-z][a-z-]*\.js$/.test(n));
  } catch {
    names = [];
  }
  if (!names.includes('app.js')) throw new WebViewListenError('the web view\'s page is not built (no dist/web/app.js): run `npm run build`');
  for (const name of names) assets.set(`/${name}`, { type: 'text/javascript; charset=utf-8', body: readFileSync(new URL(name, scripts)) });
  return assets;
}

// The phase colours of `qvmctl graph`, for the page: one table for both (render/guest-graph.ts).
function phaseStyle(): string {
  return Object.entries(PHASE_COLORS)
    .map(([phase, c]) => `.phase-${phase} { --phase-fill: ${c.fill}; --phase-stroke: ${c.stroke}; }`)
    .join('\n') + '\n';
}

export function createWebView(source: WebViewSource): WebView {
  const now = source.now ?? Date.now;
  let assets: Map<string, Asset> | undefined;
  const clients = new Set<ServerResponse>();
  /** What every open page was last sent of each panel (its JSON; status without its clock). */
  const sent = new Map<PartName, string>();
  let timer: NodeJS.Timeout | undefined;
  let keepalive: NodeJS.Timeout | undefined;
  let flushing: Promise<void> | undefined;
  let again = false;
  let record: unknown;
  let listener: Server | undefined;

  const compute = async (): Promise<Record<PartName, { readonly key: string; readonly data: string }>> => {
    const status = source.status();
    const desired = source.desired();
    // A record that cannot be read right now (a host out of reach) is shown as last read.
    record = await source.lastShutdown().catch(() => record);
    const statusData = statusPart(status, now());
    const json = (v: unknown): { key: string; data: string } => {
      const data = JSON.stringify(v);
      return { key: data, data };
    };
    return {
      status: { key: JSON.stringify({ ...statusData, serverTime: 0 }), data: JSON.stringify(statusData) },
      graph: json(graphPart(desired, status.guests)),
      shutdown: json(shutdownPart({ desired, guests: status.guests, record, fallbackShutdown: fallbackShutdown(desired?.host ?? {}), passLockWaitMs: PASS_LOCK_PREEMPT_MS })),
      events: json(eventsPart(source.events())),
    };
  };

  const write = (res: ServerResponse, text: string): void => {
    if (res.writableLength > MAX_BACKLOG_BYTES) {
      res.destroy();
      return;
    }
    res.write(text);
  };

  // Every changed panel to every page; with `fresh`, every panel to that new page.
  const flush = async (fresh?: ServerResponse): Promise<void> => {
    const parts = await compute();
    for (const name of PARTS) {
      const part = parts[name];
      const message = `event: ${name}\ndata: ${part.data}\n\n`;
      const changed = sent.get(name) !== part.key;
      sent.set(name, part.key);
      for (const client of clients) if (changed || client === fresh) write(client, message);
    }
  };

  const schedule = (): void => {
    if (clients.size === 0 || timer !== undefined) return;
    timer = setTimeout(() => {
      timer = undefined;
      void run();
    }, COALESCE_MS);
    timer.unref();
  };

  // One flush at a time; a change during one makes one more.
  const run = async (fresh?: ServerResponse): Promise<void> => {
    if (flushing !== undefined) {
      if (fresh === undefined) again = true;
      else await flushing.then(() => run(fresh));
      return;
    }
    flushing = flush(fresh).catch(() => undefined).finally(() => { flushing = undefined; });
    await flushing;
    if (again) {
      again = false;
      schedule();
    }
  };

  const stream = (req: IncomingMessage, res: ServerResponse): void => {
    if (clients.size >= MAX_CLIENTS) {
      send(res, 503, 'text/plain; charset=utf-8', `at most ${MAX_CLIENTS} pages at once\n`);
      return;
    }
    res.writeHead(200, { ...SECURITY_HEADERS, 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', 'x-accel-buffering': 'no' });
    res.write('retry: 2000\n\n');
    clients.add(res);
    const drop = (): void => {
      clients.delete(res);
      if (clients.size === 0 && keepalive !== undefined) {
        clearInterval(keepalive);
        keepalive = undefined;
      }
    };
    req.on('close', drop);
    res.on('close', drop);
    if (keepalive === undefined) {
      keepalive = setInterval(() => { for (const c of clients) write(c, ': keep-alive\n\n'); }, KEEPALIVE_MS);
      keepalive.unref();
    }
    void run(res);
  };

  const view = async (res: ServerResponse): Promise<void> => {
    const parts = await compute();
    send(res, 200, 'application/json; charset=utf-8', `{${PARTS.map((name) => `${JSON.stringify(name)}:${parts[name].data}`).join(',')}}\n`);
  };

  const handle = (req: IncomingMessage, res: ServerResponse, path: string, base: string): void => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      send(res, 405, 'text/plain; charset=utf-8', 'the web view is read-only: change the manifests in git (docs/ui.md)\n');
      return;
    }
    // The page's links are relative: it must be reached with its trailing slash.
    if (path === '') {
      res.writeHead(308, { ...SECURITY_HEADERS, location: `${base}/` });
      res.end();
      return;
    }
    if (path === '/api/stream') { stream(req, res); return; }
    if (path === '/api/view') { view(res).catch((error: unknown) => { send(res, 500, 'text/plain; charset=utf-8', `${error instanceof Error ? error.message : String(error)}\n`); }); return; }
    const why = /^\/api\/why\/([^/]+)$/.exec(path);
    if (why?.[1] !== undefined) {
      const guest = decodeName(why[1]);
      if (guest === undefined) { send(res, 400, 'text/plain; charset=utf-8', 'not a guest name\n'); return; }
      const answer: WhyPart = { guest, decisions: source.decisions(guest) };
      send(res, 200, 'application/json; charset=utf-8', `${JSON.stringify(answer)}\n`);
      return;
    }
    try {
      assets ??= loadAssets();
    } catch (error) {
      send(res, 500, 'text/plain; charset=utf-8', `${error instanceof Error ? error.message : String(error)}\n`);
      return;
    }
    const asset = assets.get(path === '/index.html' ? '/' : path);
    if (asset === undefined) { send(res, 404, 'text/plain; charset=utf-8', `no such page: ${base}${path}\n`); return; }
    res.writeHead(200, { ...SECURITY_HEADERS, 'content-type': asset.type, 'content-length': asset.body.length, 'cache-control': 'no-cache' });
    res.end(req.method === 'HEAD' ? undefined : asset.body);
  };

  return {
    handle,
    changed: schedule,
    get clients() {
      return clients.size;
    },
    async listen(address) {
      // Fail now, not at the first page: a daemon asked for a web view serves one or does not start.
      assets ??= loadAssets();
      const allowed = allowedHosts(address.host);
      const server = createServer((req, res) => {
        const host = req.headers.host ?? '';
        if (allowed !== undefined && !allowed(host)) {
          send(res, 421, 'text/plain; charset=utf-8', `this web view answers to ${address.host} only, not to \`${host}\`\n`);
          return;
        }
        // Nothing a browser sends may end the daemon: a request that cannot be read is answered.
        try {
          handle(req, res, new URL(req.url ?? '/', 'http://qvmctl').pathname, '');
        } catch (error) {
          if (!res.headersSent) send(res, 400, 'text/plain; charset=utf-8', `${error instanceof Error ? error.message : String(error)}\n`);
          else res.destroy();
        }
      });
      await new Promise<void>((resolve, reject) => {
        server.once('error', (error: NodeJS.ErrnoException) => {
          reject(new WebViewListenError(`cannot serve the web view on ${formatAddress(address.host, address.port)} (${error.code ?? 'error'}): ${error.message}; choose another --ui-port or --ui-address`, { cause: error }));
        });
        server.listen(address.port, address.host, () => { resolve(); });
      });
      listener = server;
      const bound = server.address();
      return typeof bound === 'object' && bound !== null ? bound.port : address.port;
    },
    async close() {
      if (timer !== undefined) clearTimeout(timer);
      if (keepalive !== undefined) clearInterval(keepalive);
      timer = undefined;
      keepalive = undefined;
      for (const c of clients) c.end();
      clients.clear();
      const server = listener;
      listener = undefined;
      if (server !== undefined) {
        await new Promise<void>((resolve) => {
          server.close(() => { resolve(); });
          server.closeAllConnections();
        });
      }
      await flushing;
    },
  };
}

/** `http://127.0.0.1:8080/`, `http://[::1]:8080/`. */
export function formatAddress(host: string, port: number): string {
  return `http://${isIP(host) === 6 ? `[${host}]` : host}:${port}/`;
}

// A listener on a loopback address answers only to the names of loopback: a page of another site
// that has its name resolve to 127.0.0.1 (DNS rebinding) is refused. Elsewhere any name is served.
function allowedHosts(bound: string): ((host: string) => boolean) | undefined {
  const loopback = bound === 'localhost' || bound === '::1' || /^127\.\d+\.\d+\.\d+$/.test(bound);
  if (!loopback) return undefined;
  return (host) => {
    const name = host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.replace(/:\d+$/, '');
    return name === 'localhost' || name === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(name);
  };
}

function decodeName(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { ...SECURITY_HEADERS, 'content-type': type, 'cache-control': 'no-store' });
  res.end(body);
}
