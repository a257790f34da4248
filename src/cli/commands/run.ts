// `qvmctl run`: the reconcile daemon, in the foreground, until SIGTERM or SIGINT. Guests keep
// running when it ends (they are detached qvm processes under their own monitors).

import { resolve } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { Option, type Command } from 'commander';
import type { LevelWithSilent } from 'pino';
import { DaemonAlreadyRunningError } from '../../daemon/errors.js';
import { parseDuration } from '../../manifest/duration.js';
import { CliError } from '../errors.js';
import { createLogger, LOG_LEVELS } from '../logger.js';
import { addManifestOption, addStateDirOption, type ManifestOptions, type StateDirOptions } from '../options.js';
import type { CommandResult, Output } from '../output.js';
import { resolveTarget } from '../state-dir.js';

interface RunOptions extends ManifestOptions, StateDirOptions {
  readonly interval?: string;
  readonly metricsPort?: string;
  readonly metricsHost: string;
  readonly uiPort?: string;
  readonly uiAddress: string;
  readonly logLevel: LevelWithSilent;
  readonly logFormat?: 'json' | 'pretty';
  readonly shutdownSignal?: string;
}

export function registerRun(program: Command, _io: Output, result: CommandResult): void {
  const command = program.command('run').description('run the reconcile daemon: keep the host converged to the manifests until stopped');
  addManifestOption(command);
  addStateDirOption(command);
  command
    .option('--interval <duration>', 'periodic resync (default: the Host manifest\'s reconcile.interval)')
    .option('--metrics-port <port>', 'also serve /metrics, /healthz and /readyz on this TCP port')
    .option('--metrics-host <addr>', 'address of the metrics listener', '127.0.0.1')
    .option('--ui-port <port>', 'also serve the read-only web view on this TCP port (docs/ui.md)')
    .option('--ui-address <addr>', 'address of the web view\'s listener', '127.0.0.1')
    .option('--shutdown-signal <signal>', 'run the host shutdown sequence on this signal (e.g. SIGPWR from a UPS daemon)')
    .addOption(new Option('--log-level <level>', 'log level').choices(LOG_LEVELS).default('info'))
    .addOption(new Option('--log-format <format>', 'log format (default: pretty on a terminal, else json)').choices(['json', 'pretty']));
  command.action(async (options: RunOptions) => {
    const intervalMs = options.interval === undefined ? undefined : parseDuration(options.interval);
    if (options.interval !== undefined && (intervalMs === undefined || intervalMs <= 0)) {
      throw new CliError(`Expected \`--interval\` to be a duration like 30s or 500ms, got \`${options.interval}\``);
    }
    const port = options.metricsPort === undefined ? undefined : Number(options.metricsPort);
    if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65_535)) {
      throw new CliError(`Expected \`--metrics-port\` to be a port number, got \`${options.metricsPort ?? ''}\``);
    }
    const uiPort = options.uiPort === undefined ? undefined : Number(options.uiPort);
    if (uiPort !== undefined && (!/^\d+$/.test(options.uiPort ?? '') || uiPort > 65_535)) {
      throw new CliError(`Expected \`--ui-port\` to be a port number, got \`${options.uiPort ?? ''}\``);
    }
    const shutdownSignal = parseShutdownSignal(options.shutdownSignal);
    useLowMemoryHeap();
    const target = await resolveTarget(options);
    const logger = await createLogger({ level: options.logLevel, pretty: (options.logFormat ?? (process.stdout.isTTY ? 'pretty' : 'json')) === 'pretty' });
    // The daemon's modules (chokidar, prom-client, pino) load only for this command.
    const { createDaemon } = await import('../../daemon/create-daemon.js');
    const { ControlSocketError } = await import('../../daemon/control-socket.js');
    const { WebViewListenError } = await import('../../ui/web-view.js');
    const daemon = createDaemon({
      manifestDir: resolve(options.manifests),
      stateDir: target.stateDir,
      connection: target.connection,
      controlDir: target.controlDir,
      logger,
      ...(intervalMs === undefined ? {} : { intervalMs }),
      ...(port === undefined ? {} : { metricsTcp: { port, host: options.metricsHost } }),
      ...(uiPort === undefined ? {} : { ui: { port: uiPort, host: options.uiAddress } }),
    });
    try {
      await daemon.start();
    } catch (error) {
      if (error instanceof DaemonAlreadyRunningError) throw new CliError(error.message, { exitCode: 1, cause: error });
      // Nothing may keep running half-started (a socket, the lock): the daemon never runs without its socket.
      await daemon.stop().catch(() => undefined);
      if (error instanceof ControlSocketError || error instanceof WebViewListenError) throw new CliError(error.message, { exitCode: 1, cause: error });
      throw error;
    }
    // The operator's shutdown signal (e.g. from a UPS daemon) runs the host shutdown sequence; the
    // daemon keeps running, fenced, until the host command takes the host down.
    if (shutdownSignal !== undefined) {
      process.on(shutdownSignal, () => {
        logger.warn({ signal: shutdownSignal }, `received ${shutdownSignal}: host shutdown`);
        daemon.shutdown({ mode: 'poweroff', forceHost: false }).catch((error: unknown) => { logger.error({ err: error }, 'host shutdown failed'); });
      });
    }
    const signal = await new Promise<NodeJS.Signals>((done) => {
      process.once('SIGTERM', () => { done('SIGTERM'); });
      process.once('SIGINT', () => { done('SIGINT'); });
    });
    logger.info({ signal }, `received ${signal}`);
    await daemon.stop();
    result.exitCode = 0;
    // Stopped: the guests run on, the lock is released, nothing is left to lose. Whatever handle is
    // still open (a bug) is named in the log and does not keep the process from ending.
    setTimeout(() => {
      logger.warn({ handles: process.getActiveResourcesInfo() }, `still running ${EXIT_GRACE_MS} ms after the daemon stopped: exiting`);
      process.exit(0);
    }, EXIT_GRACE_MS).unref();
  });
}

/** How long the process may take to end once the daemon has stopped. */
const EXIT_GRACE_MS = 2_000;

// Signals that already mean something to the daemon or cannot be caught are refused.
function parseShutdownSignal(value: string | undefined): NodeJS.Signals | undefined {
  if (value === undefined) return undefined;
  const name = (value.startsWith('SIG') ? value : `SIG${value}`).toUpperCase();
  const usable = ['SIGPWR', 'SIGUSR1', 'SIGUSR2', 'SIGHUP', 'SIGWINCH', 'SIGRTMIN'];
  if (!usable.includes(name)) throw new CliError(`Expected \`--shutdown-signal\` to be one of ${usable.join(', ')}, got \`${value}\``);
  return name as NodeJS.Signals;
}

// A daemon idles for months between short bursts of work. V8's memory-saving mode keeps the young
// generation small instead of letting it grow to 32 MB after the first burst of starts (resident
// memory with 100 guests: about 95 MB against 133 MB; docs/daemon.md). V8 reads the flag at each
// collection, so setting it once the process runs takes effect.
function useLowMemoryHeap(): void {
  setFlagsFromString('--optimize-for-size');
}
