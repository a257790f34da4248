// A daemon pass reports data; the sinks turn it into log lines, events and `why` decisions, and
// metrics (docs/architecture.md, "One pass, three callers"). Pure layers: real pino, EventLog and prom-client.
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { StepResult } from '../../src/executor/execute-plan.js';
import { EventLog } from '../../src/daemon/event-log.js';
import type { DaemonStatus, PassSummary } from '../../src/daemon/guest-status.js';
import { createDaemonMetrics } from '../../src/daemon/metrics.js';
import { fanOut, type PassEntry } from '../../src/daemon/pass-report.js';
import { eventSink, logSink, metricsSink } from '../../src/daemon/pass-sinks.js';
import { HostUnreachableError } from '../../src/runtime/ssh/errors.js';

const NOW = 1_700_000_000_000;
const status: DaemonStatus = {
  pid: 1, stateDir: '/s', manifestDir: '/m',
  manifests: { status: 'ok', errors: 0, usingLastGood: false, source: 'directory', unsettled: [] },
  host: { where: 'local', reachable: true }, fenced: false, lastPass: undefined, passes: 1, guests: [], unmanaged: [],
};
const summary: PassSummary = { id: 1, startedAt: NOW, endedAt: NOW + 40, result: 'ok', revision: undefined, fingerprint: 'f', changes: 1 };

function sinks() {
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level: 'debug', base: null, timestamp: false }, { write: (line: string) => { lines.push(JSON.parse(line) as Record<string, unknown>); } });
  const events = new EventLog();
  const metrics = createDaemonMetrics({ now: () => NOW });
  const sink = fanOut(logSink(logger), eventSink(events, () => NOW), metricsSink(metrics, () => status));
  return { lines, events, metrics, sink };
}

const failedStop: StepResult = { kind: 'stop', guest: 'web', status: 'done', detail: 'still runs after power button', stop: { result: 'stuck', lastStep: 'power-button', elapsedMs: 3000 }, started: undefined, elapsedMs: 3000 };

describe('pass sinks', () => {
  it('report a hold once while it repeats, and keep it as the guest\'s decision', () => {
    const { lines, events, sink } = sinks();
    const hold = { guest: 'db', reason: 'backoff' as const, detail: 'backoff 2s after 1 failure', until: NOW + 2000 };
    sink(1, { kind: 'hold', hold, repeated: false });
    sink(2, { kind: 'hold', hold, repeated: true });
    expect(events.events({ guest: 'db' }).map((e) => [e.type, e.reason, e.count])).toEqual([['Warning', 'BackOff', 1]]);
    expect(events.decisions('db').map((d) => [d.pass, d.kind, d.what])).toEqual([[1, 'hold', 'backoff']]);
    expect(lines.filter((l) => l['guest'] === 'db').map((l) => [l['pass'], l['msg']])).toEqual([[1, 'hold (backoff): backoff 2s after 1 failure']]);
  });

  it('report an exit that gave up: the exit, then GaveUp, in the log and as events; the exit is counted', async () => {
    const { lines, events, metrics, sink } = sinks();
    const exit = { name: 'db', pid: 42, code: 1, signal: null, at: NOW, startedAt: NOW - 100, requested: false };
    sink(3, { kind: 'exit', exit, meaning: 'failure', gaveUpAfter: 5 });
    expect(events.events().map((e) => [e.reason, e.message])).toEqual([
      ['Exited', 'qvm (pid 42) ended: exit code 1 (failure)'],
      ['GaveUp', 'gave up after 5 failures: stays down until the manifest changes'],
    ]);
    expect(events.decisions('db').map((d) => [d.kind, d.what])).toEqual([['exit', 'failure']]);
    expect(lines.map((l) => [l['level'], l['msg']])).toEqual([[30, 'qvm (pid 42) ended: exit code 1 (failure)'], [40, 'gave up after 5 failures: stays down until the manifest changes']]);
    expect(await metrics.registry.getSingleMetricAsString('qvmctl_guest_exits_total')).toContain('qvmctl_guest_exits_total{code="1"} 1');
  });

  it('count a stuck stop as stuck, time its ladder, and warn', async () => {
    const { lines, events, metrics, sink } = sinks();
    sink(4, { kind: 'step-start', step: { kind: 'stop', guest: 'web' } });
    sink(4, { kind: 'ladder-step', guest: 'web', step: 'power-button' });
    sink(4, { kind: 'step-end', step: failedStop });
    expect(events.events().map((e) => [e.type, e.reason])).toEqual([['Warning', 'Stuck']]);
    expect(events.decisions('web').map((d) => d.what)).toEqual(['stop stuck']);
    expect(lines.map((l) => [l['level'], l['msg']])).toEqual([[20, 'stop begins'], [30, 'stop ladder: power-button'], [40, 'stop stuck: still runs after power button']]);
    expect(await metrics.registry.getSingleMetricAsString('qvmctl_guest_stops_total')).toContain('outcome="stuck"} 1');
    expect(await metrics.registry.getSingleMetricAsString('qvmctl_guest_stop_step_duration_seconds')).toContain('qvmctl_guest_stop_step_duration_seconds_count{guest="web",step="power-button"} 1');
  });

  it('report an unreachable host as an event once per outage, and log every pass of it', () => {
    const { lines, events, sink } = sinks();
    const error = new HostUnreachableError('qnx1:', 'unreachable', 'qnx1: cannot connect');
    const entries: PassEntry[] = [
      { kind: 'unreachable', error, first: true, triggers: ['resync'] },
      { kind: 'unreachable', error, first: false, triggers: ['resync'] },
    ];
    entries.forEach((e, i) => { sink(i + 1, e); });
    expect(events.events().map((e) => [e.reason, e.count])).toEqual([['HostUnreachable', 1]]);
    expect(lines.map((l) => [l['pass'], l['msg']])).toEqual([[1, 'qnx1: cannot connect'], [2, 'qnx1: cannot connect']]);
  });

  it('report a rejected load once, and count it once; a valid load resets the gauge', async () => {
    const { lines, events, metrics, sink } = sinks();
    const errors = [{ severity: 'error' as const, code: 'schema', file: 'db.yaml', line: 3, col: 5, message: 'spec.qvm: required' }];
    const rejected = { kind: 'manifests' as const, status: 'invalid' as const, fingerprint: 'x', guests: 0, errors, commit: undefined, hasLastGood: true };
    sink(1, { ...rejected, fresh: true });
    sink(2, { ...rejected, fresh: false });
    expect(events.events().map((e) => [e.reason, e.message])).toEqual([['ManifestInvalid', 'db.yaml:3:5: error: spec.qvm: required; keeping the last good desired state']]);
    expect(lines.map((l) => l['msg'])).toEqual(['manifests invalid: keeping the last good desired state']);
    expect(await metrics.registry.getSingleMetricAsString('qvmctl_manifest_errors_total')).toContain('qvmctl_manifest_errors_total 1');
    expect(await metrics.registry.getSingleMetricAsString('qvmctl_manifest_valid')).toContain('qvmctl_manifest_valid 0');
    sink(3, { kind: 'manifests', status: 'ok', fresh: true, fingerprint: 'y', guests: 5, errors: [], commit: 'abcdef0123456789', hasLastGood: true });
    expect(events.events().at(-1)?.message).toBe('5 guests at commit abcdef012345');
    expect(await metrics.registry.getSingleMetricAsString('qvmctl_manifest_valid')).toContain('qvmctl_manifest_valid 1');
  });

  it('end a pass with one `pass done` line when it planned, and observe it in the metrics either way', async () => {
    const { lines, metrics, sink } = sinks();
    sink(7, { kind: 'done', summary, triggers: ['manifest'], holds: 0 });
    sink(8, { kind: 'done', summary: { ...summary, id: 8, result: 'skipped' }, triggers: ['resync'], holds: undefined });
    expect(lines.map((l) => [l['pass'], l['msg'], l['durationMs']])).toEqual([[7, 'pass done', 40]]);
    const reconciles = await metrics.registry.getSingleMetricAsString('qvmctl_reconciles_total');
    expect(reconciles).toContain('result="ok"} 1');
    expect(reconciles).toContain('result="skipped"} 1');
  });
});
