// Prometheus metrics of one daemon, in its own registry (never the global one, so two daemons in
// one process, e.g. in tests, do not collide). Names are documented in docs/daemon.md.

import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface DaemonMetrics {
  readonly registry: Registry;
  readonly reconciles: Counter<'result'>;
  readonly triggers: Counter<'trigger'>;
  readonly passDuration: Histogram;
  readonly starts: Counter<'outcome'>;
  readonly stops: Counter<'outcome'>;
  readonly exits: Counter<'code'>;
  readonly guests: Gauge<'phase'>;
  readonly manifestErrors: Counter;
  readonly manifestValid: Gauge;
  readonly lastPass: Gauge;
}

export function createDaemonMetrics(options: { readonly processMetrics?: boolean } = {}): DaemonMetrics {
  const registry = new Registry();
  const registers = [registry];
  // Event-loop lag sampled once a second, not every 10 ms: an idle daemon should stay asleep.
  if (options.processMetrics === true) collectDefaultMetrics({ register: registry, prefix: 'qvmctl_', eventLoopMonitoringPrecision: 1_000 });
  return {
    registry,
    reconciles: new Counter({ name: 'qvmctl_reconciles_total', help: 'Reconcile passes by result (ok, failed, error, skipped)', labelNames: ['result'], registers }),
    triggers: new Counter({ name: 'qvmctl_reconcile_triggers_total', help: 'Triggers that asked for a pass (several may coalesce into one pass)', labelNames: ['trigger'], registers }),
    passDuration: new Histogram({
      name: 'qvmctl_reconcile_duration_seconds',
      help: 'Duration of reconcile passes',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
      registers,
    }),
    starts: new Counter({ name: 'qvmctl_guest_starts_total', help: 'Guest starts by outcome (done, failed, skipped)', labelNames: ['outcome'], registers }),
    stops: new Counter({ name: 'qvmctl_guest_stops_total', help: 'Guest stops by outcome (done, stuck, failed, skipped)', labelNames: ['outcome'], registers }),
    exits: new Counter({ name: 'qvmctl_guest_exits_total', help: 'qvm exits by exit code (or signal name)', labelNames: ['code'], registers }),
    guests: new Gauge({ name: 'qvmctl_guests', help: 'Guests by phase after the last pass', labelNames: ['phase'], registers }),
    manifestErrors: new Counter({ name: 'qvmctl_manifest_errors_total', help: 'Manifest loads that found errors (the last good state was kept)', registers }),
    manifestValid: new Gauge({ name: 'qvmctl_manifest_valid', help: '1 when the last manifest load was valid, 0 otherwise', registers }),
    lastPass: new Gauge({ name: 'qvmctl_last_reconcile_timestamp_seconds', help: 'End of the last reconcile pass (Unix time)', registers }),
  };
}
