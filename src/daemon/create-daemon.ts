// `qvmctl run`: the reconcile loop and everything around it. Wires triggers (manifest watcher,
// exit-record watcher, periodic resync, hold expiry) into one pass loop, and serves the control
// API. Nothing happens at import; `start` takes the state directory's process lock.

import { setMaxListeners } from 'node:events';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { HostConnection } from '../model/host-spec.js';
import type { Logger } from 'pino';
import type { ShutdownResult } from '../executor/shutdown-sequence.js';
import { HOST_DEFAULTS } from '../manifest/defaults.js';
import type { DesiredState } from '../model/host-spec.js';
import { createHost } from '../runtime/create-host.js';
import type { RuntimeTuning } from '../runtime/context.js';
import { LockBusyError } from '../runtime/errors.js';
import type { HostPort, LockRelease, Watcher } from '../runtime/port.js';
import { startControlServer, type ControlServer } from './control-server.js';
import { DaemonAlreadyRunningError } from './errors.js';
import { EventLog } from './event-log.js';
import type { DaemonStatus } from './guest-status.js';
import { createDaemonMetrics, type DaemonMetrics } from './metrics.js';
import { createPassLoop, type PassLoop, type Trigger } from './pass-loop.js';
import { readinessOf, type Readiness } from './readiness.js';
import { Reconciler } from './reconciler.js';
import { fanOut } from './pass-report.js';
import { eventSink, logSink, metricsSink } from './pass-sinks.js';
import { createShutdownRunner, type ShutdownRequest } from './shutdown-runner.js';
import { stoppableRuntime } from './stoppable-runtime.js';
import { watchManifestDir } from './watch-files.js';
import { createWebView, formatAddress } from '../ui/web-view.js';

export interface DaemonOptions {
  /** Absolute manifest directory. */
  readonly manifestDir: string;
  /** Absolute state directory on the host (with the connection, the daemon's identity: one daemon per host). */
  readonly stateDir: string;
  /** How the host is reached. @default local */
  readonly connection?: HostConnection;
  /** Local directory of the control socket. @default the state directory (local hosts) */
  readonly controlDir?: string;
  readonly logger: Logger;
  /** @default Date.now */
  readonly now?: () => number;
  /** Periodic resync; default: the Host manifest's `reconcile.interval`. */
  readonly intervalMs?: number;
  /** Also serve /metrics, /healthz and /readyz on this loopback TCP address. */
  readonly metricsTcp?: { readonly port: number; readonly host: string };
  /** Also serve the web view on this TCP address (it is always under /ui/ on the control socket). */
  readonly ui?: { readonly port: number; readonly host: string };
  /** The runtime for a desired state; default: the host adapter for its `qvm`. */
  readonly runtimeFor?: (desired: DesiredState) => HostPort;
  readonly runtimeTuning?: Partial<RuntimeTuning>;
  /** Record the manifest directory's git revision with every pass. @default true */
  readonly gitRevision?: boolean;
  /** Add Node process metrics (CPU, memory, event loop) to /metrics. @default true */
  readonly processMetrics?: boolean;
}

export interface Daemon {
  start(): Promise<void>;
  /** Stops triggers, lets the pass under way end (new starts refused), closes the socket, frees the lock. Guests keep running. */
  stop(): Promise<void>;
  /** Asks for a pass now (coalesced with any other request). */
  triggerNow(): void;
  status(): DaemonStatus;
  readonly metrics: DaemonMetrics;
  readonly socketPath: string;
  readonly metricsPort: number | undefined;
  /** Port of the web view's own listener, when there is one. */
  readonly uiPort: number | undefined;
  /** The host shutdown sequence on the last good desired state (single-flight). */
  shutdown(request: ShutdownRequest): Promise<ShutdownResult>;
}

// Waits for `promise`, or less if the signal fires first.
async function untilAborted(promise: Promise<void>, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return;
  let onAbort!: () => void;
  const abort = new Promise<void>((resolve) => { onAbort = resolve; });
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    await Promise.race([promise, abort]);
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

export function socketPathOf(stateDir: string): string {
  return join(stateDir, 'qvmctl.sock');
}

export function createDaemon(options: DaemonOptions): Daemon {
  const now = options.now ?? Date.now;
  const log = options.logger;
  const stopping = new AbortController();
  // Each readiness wait of a pass listens to it (stoppable-runtime.ts): many at once is not a leak.
  setMaxListeners(0, stopping.signal);
  const metrics = createDaemonMetrics({ processMetrics: options.processMetrics ?? true, readiness: () => readiness() });
  // Whatever the page shows may change with an event, at the end of a pass and of a shutdown.
  const events = new EventLog({ onChange: () => { webView.changed(); } });
  const runtimes = new Map<string, HostPort>();
  const connection = options.connection ?? { kind: 'local' as const };
  // The daemon's host is fixed at start (connection and state directory); a manifest may change how
  // qvm is run on it.
  const portFor = (qvm: DesiredState['host']['qvm']): HostPort => {
    const key = JSON.stringify(qvm);
    let runtime = runtimes.get(key);
    if (runtime === undefined) {
      runtime = createHost({
        host: { qvm, connection, stateDir: options.stateDir },
        ...(options.runtimeTuning === undefined ? {} : { tuning: options.runtimeTuning }),
        onEvent: (e) => { log[e.level]({ guest: e.guest, qvmPid: e.pid }, e.msg); },
      });
      runtimes.set(key, runtime);
    }
    return runtime;
  };
  const runtimeFor = options.runtimeFor ?? ((desired: DesiredState): HostPort => portFor(desired.host.qvm));
  // Locks, fence and the exit watch do not depend on how qvm runs: any port of this host serves.
  const host = (): HostPort => (options.runtimeFor === undefined ? [...runtimes.values()][0] ?? portFor(HOST_DEFAULTS.qvm) : options.runtimeFor({ guests: [], host: { ...HOST_DEFAULTS, connection, stateDir: options.stateDir } }));
  const reconciler = new Reconciler({
    manifestDir: options.manifestDir,
    stateDir: options.stateDir,
    host: host(),
    // The status the metrics derive their series from is the one after the pass they are told of.
    sink: fanOut(logSink(log), eventSink(events, now), metricsSink(metrics, (): DaemonStatus => reconciler.status())),
    now,
    runtimeFor: (desired) => stoppableRuntime(runtimeFor(desired), stopping.signal),
    ...(options.gitRevision === undefined ? {} : { gitRevision: options.gitRevision }),
  });
  const shutdownRunner = createShutdownRunner({ stateDir: options.stateDir, connection, logger: log, desired: () => reconciler.desired, onDone: (result) => { metrics.observeShutdown(result); } });
  // docs/daemon.md, "Health and readiness".
  const healthy = (): boolean => !stopping.signal.aborted && !lockLost;
  const readiness = (): Readiness => readinessOf({
    stopping: stopping.signal.aborted,
    lockLost,
    desiredLoaded: reconciler.desired !== undefined,
    status: reconciler.status(),
    passError: reconciler.passError,
  });
  const webView = createWebView({
    status: () => reconciler.status(),
    events: () => events.events(),
    decisions: (guest) => events.decisions(guest),
    desired: () => reconciler.desired,
    lastShutdown: () => host().state.readShutdownRecord(),
    now,
  });
  const runShutdown = (request: ShutdownRequest): Promise<ShutdownResult> => shutdownRunner.run(request).finally(() => { webView.changed(); });
  const desiredHost = (): DesiredState['host'] => reconciler.desired?.host ?? HOST_DEFAULTS;
  const loop: PassLoop = createPassLoop({
    // While this daemon runs a host shutdown, no pass of its own begins: the sequence has cut the
    // one under way short and holds the pass lock (docs/daemon.md, "Lifecycle").
    runPass: async (triggers) => {
      if (shutdownRunner.running) await untilAborted(shutdownRunner.idle(), stopping.signal);
      if (stopping.signal.aborted) return { requeueAt: undefined };
      // One daemon per host, even when the state directory was deleted under this one: its lock is
      // taken again at each pass, and a daemon that finds another holding it acts no more.
      if (lock?.renew !== undefined && !(await lock.renew())) {
        if (!lockLost) log.error({ stateDir: options.stateDir }, 'another qvmctl daemon holds this host\'s daemon lock now: this one starts and stops nothing more (guests keep running); stop it');
        lockLost = true;
        return { requeueAt: undefined };
      }
      lockLost = false;
      try {
        return await reconciler.runPass(triggers);
      } finally {
        webView.changed();
      }
    },
    now,
    intervalMs: () => options.intervalMs ?? desiredHost().reconcile.intervalMs,
    debounceMs: () => desiredHost().reconcile.debounceMs,
    onError: (error) => { log.error({ err: error }, 'pass loop error'); },
  });
  const trigger = (kind: Trigger, debounced = false): void => {
    metrics.triggers.inc({ trigger: kind });
    if (debounced) loop.requestDebounced(kind);
    else loop.request(kind);
  };

  let lock: LockRelease | undefined;
  let lockLost = false;
  let server: ControlServer | undefined;
  let uiPort: number | undefined;
  let watchers: Watcher[] = [];
  const socketPath = socketPathOf(options.controlDir ?? options.stateDir);

  return {
    metrics,
    socketPath,
    get metricsPort() {
      return server?.tcpPort;
    },
    get uiPort() {
      return uiPort;
    },
    status: () => reconciler.status(),
    triggerNow: () => { trigger('manual'); },
    shutdown: runShutdown,
    async start() {
      try {
        lock = await host().lockDaemon();
      } catch (error) {
        if (error instanceof LockBusyError) throw new DaemonAlreadyRunningError(options.stateDir, error.holderPid, { cause: error });
        throw error;
      }
      await mkdir(options.controlDir ?? options.stateDir, { recursive: true, mode: 0o700 });
      server = await startControlServer({
        socketPath,
        ...(options.metricsTcp === undefined ? {} : { tcp: options.metricsTcp }),
        api: {
          status: () => reconciler.status(),
          events: (filter) => events.events(filter),
          why: (guest) => ({ guest, status: reconciler.status().guests.find((g) => g.name === guest), decisions: events.decisions(guest) }),
          registry: metrics.registry,
          shutdown: runShutdown,
          healthy,
          readiness,
          ui: (req, res, path, base) => { webView.handle(req, res, path, base); },
        },
      });
      if (options.ui !== undefined) {
        uiPort = await webView.listen(options.ui);
        log.info({ url: formatAddress(options.ui.host, uiPort) }, `web view at ${formatAddress(options.ui.host, uiPort)}`);
      }
      const onError = (error: unknown): void => { log.warn({ err: error }, 'file watcher error'); };
      watchers = [
        watchManifestDir({ dir: options.manifestDir, onChange: () => { trigger('manifest', true); }, onError }),
        host().watchExits(() => { trigger('exit'); }, onError),
      ];
      log.info({ manifestDir: options.manifestDir, stateDir: options.stateDir, socket: socketPath, metricsPort: server.tcpPort }, 'daemon started');
      trigger('startup');
    },
    async stop() {
      stopping.abort();
      log.info('daemon stopping: guests keep running');
      await Promise.all(watchers.map((w) => w.close()));
      watchers = [];
      await loop.stop();
      await webView.close();
      await server?.close();
      server = undefined;
      await lock?.release();
      lock = undefined;
      await Promise.all([...runtimes.values()].map((r) => r.close()));
      log.info('daemon stopped');
    },
  };
}
