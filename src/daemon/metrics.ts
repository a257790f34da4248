// Prometheus metrics of one daemon, in its own registry (never the global one, so two daemons in
// one process, e.g. in tests, do not collide). Every name, type and label is documented in
// docs/daemon.md, "Metrics"; the output passes `promtool check metrics`.
//
// The pass's metrics sink (pass-sinks.ts) and the shutdown runner hand it what they already have (a
// pass's summary and the status after it, a stop ladder's steps, a shutdown's result); the series
// are derived here.

import { readFileSync } from 'node:fs';
import { constants } from 'node:os';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { ExecutionHooks, StepResult } from '../executor/execute-plan.js';
import type { ShutdownResult } from '../executor/shutdown-sequence.js';
import type { LadderStepTime } from '../executor/shutdown-stops.js';
import type { StopStep } from '../runtime/port.js';
import { GUEST_PHASES } from '../planner/guest-status.js';
import type { DaemonStatus, GuestStatus, PassSummary } from './guest-status.js';
import type { Readiness } from './readiness.js';

export interface DaemonMetrics {
  readonly registry: Registry;
  readonly triggers: Counter<'trigger'>;
  readonly starts: Counter<'outcome'>;
  readonly stops: Counter<'outcome'>;
  readonly exits: Counter<'code'>;
  readonly manifestErrors: Counter;
  readonly manifestValid: Gauge;
  /** A pass has ended: its counters, and every series derived from the status after it. */
  observePass(pass: PassSummary, status: DaemonStatus): void;
  /** Execution hooks that time each stop ladder's steps (`qvmctl_guest_stop_step_duration_seconds`). */
  timeLadders(): ExecutionHooks;
  /** A host shutdown sequence has ended. */
  observeShutdown(result: ShutdownResult): void;
}

export interface DaemonMetricsOptions {
  /** Node process metrics (CPU, memory, event loop). @default false */
  readonly processMetrics?: boolean;
  /** What `qvmctl_ready` shows, asked at each scrape. @default never ready */
  readonly readiness?: () => Readiness;
  /** @default Date.now (the stop ladder's own clock) */
  readonly now?: () => number;
}

// Up to the ladder's usual timeouts (tens of seconds); each guest has a series per step from the start.
const STEP_BUCKETS = [0.1, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120];
const LADDER_STEPS: readonly StopStep[] = ['guest-command', 'power-button', 'power-cut'];

// Gauges whose names end in `_total`, which `promtool check metrics` rejects for anything but a
// counter. Each is the sum of the series of the same name without `_total` (by `type`), so dropping
// them loses nothing.
const DROPPED_DEFAULTS = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];

export function createDaemonMetrics(options: DaemonMetricsOptions = {}): DaemonMetrics {
  const registry = new Registry();
  const registers = [registry];
  const now = options.now ?? Date.now;
  if (options.processMetrics === true) {
    // Event-loop lag sampled once a second, not every 10 ms: an idle daemon should stay asleep.
    collectDefaultMetrics({ register: registry, prefix: 'qvmctl_', eventLoopMonitoringPrecision: 1_000 });
    for (const name of DROPPED_DEFAULTS) registry.removeSingleMetric(`qvmctl_${name}`);
  }
  new Gauge({ name: 'qvmctl_build_info', help: 'qvmctl\'s version and the Node.js version it runs on (always 1)', labelNames: ['version', 'node_version'], registers })
    .set({ version: packageVersion(), node_version: process.version }, 1);
  const readiness = options.readiness ?? ((): Readiness => ({ ready: false, reason: 'not started' }));
  new Gauge({
    name: 'qvmctl_ready',
    help: '1 when a valid desired state is loaded and the last pass completed (as GET /readyz answers)',
    registers,
    collect() { this.set(readiness().ready ? 1 : 0); },
  });
  const fenced = new Gauge({ name: 'qvmctl_fenced', help: '1 while the shutdown fence is up: no guest starts', registers });
  const reconciles = new Counter({ name: 'qvmctl_reconciles_total', help: 'Reconcile passes by result (ok, failed, error, skipped, unreachable)', labelNames: ['result'], registers });
  const passDuration = new Histogram({
    name: 'qvmctl_reconcile_duration_seconds',
    help: 'Duration of reconcile passes',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
    registers,
  });
  const lastPass = new Gauge({ name: 'qvmctl_last_reconcile_timestamp_seconds', help: 'End of the last reconcile pass (Unix time)', registers });
  const shutdownDuration = new Histogram({
    name: 'qvmctl_host_shutdown_duration_seconds',
    help: 'Duration of host shutdown sequences run by the daemon, by status (completed, blocked, refused)',
    labelNames: ['status'],
    buckets: [0.5, 1, 2.5, 5, 10, 15, 30, 60, 90, 120, 300, 600],
    registers,
  });
  const guests = new Gauge({ name: 'qvmctl_guests', help: 'Guests by phase after the last pass', labelNames: ['phase'], registers });
  const perGuest = {
    phase: new Gauge({ name: 'qvmctl_guest_phase', help: 'The guest\'s phase after the last pass: 1 for its phase, 0 for every other', labelNames: ['guest', 'phase'], registers }),
    up: new Gauge({ name: 'qvmctl_guest_up', help: '1 when the guest\'s qvm process runs', labelNames: ['guest'], registers }),
    ready: new Gauge({ name: 'qvmctl_guest_ready', help: '1 when the guest runs, its readiness check passed and no stop was asked of it', labelNames: ['guest'], registers }),
    desired: new Gauge({ name: 'qvmctl_guest_desired', help: '1 when the manifests want the guest running, 0 when stopped or absent', labelNames: ['guest'], registers }),
    restarts: new Counter({ name: 'qvmctl_guest_restarts_total', help: 'Restarts after the guest\'s own exits (RESTARTS of qvmctl status; kept in the state directory)', labelNames: ['guest'], registers }),
    lastExitCode: new Gauge({ name: 'qvmctl_guest_last_exit_code', help: 'Exit code of the guest\'s last qvm process (128 + signal number when killed by a signal, -1 when not recorded)', labelNames: ['guest'], registers }),
    lastExitTime: new Gauge({ name: 'qvmctl_guest_last_exit_timestamp_seconds', help: 'When the guest\'s last qvm process ended (Unix time)', labelNames: ['guest'], registers }),
  };
  const stopSteps = new Histogram({
    name: 'qvmctl_guest_stop_step_duration_seconds',
    help: 'Time spent in each step of a guest\'s stop ladder (guest-command, power-button, power-cut), until the guest was gone or the next step began',
    labelNames: ['guest', 'step'],
    buckets: STEP_BUCKETS,
    registers,
  });
  // Guests with stop-step series. Each has all three from the start, at zero, so that a guest's first
  // power cut is an increase like any later one; a guest gone from the status loses them.
  const timedGuests = new Set<string>();
  const timeGuest = (guest: string): void => {
    if (timedGuests.has(guest)) return;
    for (const step of LADDER_STEPS) stopSteps.zero({ guest, step });
    timedGuests.add(guest);
  };

  const observeLadder = (guest: string, steps: readonly LadderStepTime[], endedAt: number): void => {
    timeGuest(guest);
    steps.forEach((s, i) => {
      const end = steps[i + 1]?.at ?? endedAt;
      stopSteps.observe({ guest, step: s.step }, Math.max(0, end - s.at) / 1000);
    });
  };

  const observeGuests = (statuses: readonly GuestStatus[]): void => {
    // Reset and set again in one synchronous run: a scrape never sees half of it, and a guest no
    // longer in the status leaves no series behind.
    guests.reset();
    for (const metric of Object.values(perGuest)) metric.reset();
    const counts = new Map<string, number>();
    for (const g of statuses) {
      const guest = g.name;
      counts.set(g.phase, (counts.get(g.phase) ?? 0) + 1);
      for (const phase of GUEST_PHASES) perGuest.phase.set({ guest, phase }, phase === g.phase ? 1 : 0);
      perGuest.up.set({ guest }, g.pid === undefined ? 0 : 1);
      perGuest.ready.set({ guest }, g.ready ? 1 : 0);
      perGuest.desired.set({ guest }, g.desired === 'running' ? 1 : 0);
      perGuest.restarts.inc({ guest }, g.restarts);
      if (g.lastExit !== undefined) {
        perGuest.lastExitCode.set({ guest }, exitCodeOf(g.lastExit));
        perGuest.lastExitTime.set({ guest }, g.lastExit.at / 1000);
      }
    }
    for (const [phase, n] of counts) guests.set({ phase }, n);
    const names = new Set(statuses.map((g) => g.name));
    for (const guest of timedGuests) {
      if (names.has(guest)) continue;
      for (const step of LADDER_STEPS) stopSteps.remove({ guest, step });
      timedGuests.delete(guest);
    }
    for (const guest of names) timeGuest(guest);
  };

  return {
    registry,
    triggers: new Counter({ name: 'qvmctl_reconcile_triggers_total', help: 'Triggers that asked for a pass (several may coalesce into one pass)', labelNames: ['trigger'], registers }),
    starts: new Counter({ name: 'qvmctl_guest_starts_total', help: 'Guest starts by outcome (done, failed, skipped)', labelNames: ['outcome'], registers }),
    stops: new Counter({ name: 'qvmctl_guest_stops_total', help: 'Guest stops by outcome (done, stuck, failed, skipped)', labelNames: ['outcome'], registers }),
    exits: new Counter({ name: 'qvmctl_guest_exits_total', help: 'qvm exits by exit code (or signal name)', labelNames: ['code'], registers }),
    manifestErrors: new Counter({ name: 'qvmctl_manifest_errors_total', help: 'Manifest loads that found errors (the last good state was kept)', registers }),
    manifestValid: new Gauge({ name: 'qvmctl_manifest_valid', help: '1 when the last manifest load was valid, 0 otherwise', registers }),

    observePass(pass, status) {
      reconciles.inc({ result: pass.result });
      passDuration.observe((pass.endedAt - pass.startedAt) / 1000);
      lastPass.set(pass.endedAt / 1000);
      fenced.set(status.fenced ? 1 : 0);
      observeGuests(status.guests);
    },

    timeLadders() {
      // A stop step's ladder begins with the step; its steps are timed as they are taken, and the
      // last one ends when the ladder says the guest was gone (or gave up), not when its exit
      // record was read.
      const ladders = new Map<string, { startedAt: number; steps: LadderStepTime[] }>();
      return {
        onStepStart(step) {
          if (step.kind === 'stop') ladders.set(step.guest, { startedAt: now(), steps: [] });
        },
        onLadderStep(guest, step) {
          ladders.get(guest)?.steps.push({ step, at: now() });
        },
        onStepEnd(result: StepResult) {
          const ladder = result.kind === 'stop' ? ladders.get(result.guest) : undefined;
          if (ladder !== undefined) {
            ladders.delete(result.guest);
            const endedAt = result.stop === undefined ? now() : ladder.startedAt + result.stop.elapsedMs;
            observeLadder(result.guest, ladder.steps, endedAt);
          }
        },
      };
    },

    observeShutdown(result) {
      shutdownDuration.observe({ status: result.status }, result.elapsedMs / 1000);
      // The fence stays up after the sequence (docs/shutdown.md); the next pass reads it again.
      fenced.set(1);
      for (const g of result.guests) {
        // An unmanaged qvm has no guest name (`pid:N`): no series of its own.
        if (g.kind === 'unmanaged' || g.startedAt === undefined || g.steps === undefined) continue;
        observeLadder(g.guest, g.steps, g.elapsedMs === undefined ? now() : g.startedAt + g.elapsedMs);
      }
    },
  };
}

/** As a shell reports it: the code, or 128 + the signal's number; -1 when the exit was not recorded. */
function exitCodeOf(exit: NonNullable<GuestStatus['lastExit']>): number {
  if (exit.code !== null) return exit.code;
  const number = exit.signal === null ? undefined : (constants.signals as Record<string, number | undefined>)[exit.signal];
  return number === undefined ? -1 : 128 + number;
}

// package.json sits two levels above this module, in the source tree and in the built one.
function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : 'unknown';
  } catch {
    return 'unknown';
  }
}
