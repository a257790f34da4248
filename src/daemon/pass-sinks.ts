// The sinks of a daemon pass's report (pass-report.ts): log lines, events and `why` decisions, and
// metrics. Each sees every entry; none decides anything, and none changes what a pass does.

import type { Logger } from 'pino';
import { formatDiagnostic } from '../model/diagnostic.js';
import { describeUnrecorded, MONITOR_LOST } from '../render/exit-meaning.js';
import type { EventLog } from './event-log.js';
import type { DaemonStatus } from './guest-status.js';
import type { DaemonMetrics } from './metrics.js';
import type { PassEntry, PassSink } from './pass-report.js';

/** The daemon's log: one child logger per pass (`pass` field), one per guest (`guest` field). */
export function logSink(logger: Logger): PassSink {
  let current: { readonly id: number; readonly log: Logger } | undefined;
  const passLog = (id: number): Logger => {
    if (current?.id !== id) current = { id, log: logger.child({ pass: id }) };
    return current.log;
  };
  return (pass, entry) => {
    const log = passLog(pass);
    switch (entry.kind) {
      case 'manifests-unsettled': {
        const keeping = entry.hasLastGood ? 'keeping the last good desired state' : 'nothing is started until then';
        log.info({ unsettled: entry.unsettled, settledAt: entry.settledAt }, `manifests changed less than ${entry.windowMs} ms ago: waiting for them to settle (${entry.unsettled.join(', ')}); ${keeping}`);
        return;
      }
      case 'manifests': {
        if (!entry.fresh) return;
        const at = atCommit(entry.commit);
        if (entry.status === 'ok') {
          log.info({ fingerprint: entry.fingerprint, guests: entry.guests, commit: entry.commit }, `manifests loaded${at}`);
        } else {
          log.warn({ status: entry.status, diagnostics: entry.errors.map(formatDiagnostic), commit: entry.commit }, `manifests ${entry.status}${at}: ${keepingAfterBadLoad(entry.hasLastGood)}`);
        }
        return;
      }
      case 'nothing-to-reconcile':
        log.warn({ triggers: entry.triggers, revision: entry.revision }, 'no valid manifests yet: nothing to reconcile');
        return;
      case 'console-log-rotated':
        log.info({ guest: entry.guest, bytes: entry.bytes }, 'rotated console log');
        return;
      case 'console-logs-not-rotated':
        log.warn({ err: entry.error }, 'console logs not rotated');
        return;
      case 'compaction-failed':
        // Nothing is lost when it fails: what was not removed is removed by a later pass.
        log.warn({ err: entry.error }, 'state directory not compacted; a later pass tries again');
        return;
      case 'exit': {
        const { exit, meaning } = entry;
        const glog = log.child({ guest: exit.name });
        const fields = { code: exit.code, signal: exit.signal, meaning, requested: exit.requested, unrecorded: exit.unrecorded };
        // A lost monitor is worth a warning; an exit that ended with the host is not.
        if (exit.unrecorded === 'monitor-lost') glog.warn(fields, exitMessage(entry));
        else glog.info(fields, exitMessage(entry));
        if (entry.gaveUpAfter !== undefined) glog.warn(gaveUpMessage(entry.gaveUpAfter));
        return;
      }
      case 'monitor-lost':
        log.child({ guest: entry.guest }).warn({ qvmPid: entry.pid }, monitorLostMessage(entry.pid));
        return;
      case 'change': {
        const { change } = entry;
        log.child({ guest: change.guest }).info({ action: change.action, reason: change.reason, after: change.after }, `${change.action} (${change.reason}): ${change.detail}`);
        return;
      }
      case 'hold':
        if (entry.repeated) return;
        log.child({ guest: entry.hold.guest }).info({ hold: entry.hold.reason, until: entry.hold.until }, `hold (${entry.hold.reason}): ${entry.hold.detail}`);
        return;
      case 'step-start':
        log.child({ guest: entry.step.guest }).debug({ step: entry.step.kind }, `${entry.step.kind} begins`);
        return;
      case 'ladder-step':
        log.child({ guest: entry.guest }).info({ ladder: entry.step }, `stop ladder: ${entry.step}`);
        return;
      case 'step-end': {
        const { step } = entry;
        const glog = log.child({ guest: step.guest });
        if (stepSucceeded(step)) glog.info({ step: step.kind, elapsedMs: step.elapsedMs }, `${step.kind}: ${step.detail}`);
        else glog.warn({ step: step.kind, status: step.status, elapsedMs: step.elapsedMs }, `${step.kind} ${stepOutcome(step)}: ${step.detail}`);
        return;
      }
      case 'unreachable':
        log.warn({ triggers: entry.triggers, where: entry.error.where, kind: entry.error.kind }, entry.error.message);
        return;
      case 'failed':
        log.error({ err: entry.error, triggers: entry.triggers }, 'pass failed');
        return;
      case 'done': {
        if (entry.holds === undefined) return;
        const { summary } = entry;
        log.info({ triggers: entry.triggers, revision: summary.revision, fingerprint: summary.fingerprint, changes: summary.changes, holds: entry.holds, result: summary.result, durationMs: summary.endedAt - summary.startedAt }, 'pass done');
        return;
      }
    }
  };
}

/** `qvmctl events` and `qvmctl why`: events like kubectl's, and each guest's chain of decisions. */
export function eventSink(events: EventLog, now: () => number): PassSink {
  return (pass, entry) => {
    const time = now();
    switch (entry.kind) {
      case 'manifests': {
        if (!entry.fresh) return;
        const at = atCommit(entry.commit);
        if (entry.status === 'ok') {
          events.record({ time, guest: undefined, type: 'Normal', reason: 'ManifestsLoaded', message: `${entry.guests} guests${at}` });
          return;
        }
        const first = entry.errors[0] === undefined ? entry.status : formatDiagnostic(entry.errors[0]);
        const more = entry.errors.length > 1 ? ` (+${entry.errors.length - 1} more)` : '';
        events.record({ time, guest: undefined, type: 'Warning', reason: 'ManifestInvalid', message: `${first}${more}${at}; ${keepingAfterBadLoad(entry.hasLastGood)}` });
        return;
      }
      case 'exit': {
        const { exit, meaning } = entry;
        const message = exitMessage(entry);
        events.record({ time, guest: exit.name, type: isFailure(meaning) ? 'Warning' : 'Normal', reason: 'Exited', message });
        events.decide(exit.name, { time, pass, kind: 'exit', what: meaning, detail: message });
        if (entry.gaveUpAfter !== undefined) events.record({ time, guest: exit.name, type: 'Warning', reason: 'GaveUp', message: gaveUpMessage(entry.gaveUpAfter) });
        return;
      }
      case 'monitor-lost': {
        const message = monitorLostMessage(entry.pid);
        events.record({ time, guest: entry.guest, type: 'Warning', reason: 'MonitorLost', message });
        events.decide(entry.guest, { time, pass, kind: 'monitor', what: 'monitor lost', detail: message });
        return;
      }
      case 'change': {
        const { change } = entry;
        events.decide(change.guest, { time, pass, kind: 'plan', what: `${change.action} (${change.reason})`, detail: change.detail });
        return;
      }
      case 'hold': {
        const { hold } = entry;
        events.decide(hold.guest, { time, pass, kind: 'hold', what: hold.reason, detail: hold.detail });
        if (entry.repeated) return;
        const warn = hold.reason === 'failed' || hold.reason === 'backoff' || hold.reason === 'config-error' || hold.reason === 'prune-guard' || hold.reason === 'system-in-use';
        events.record({ time, guest: hold.guest, type: warn ? 'Warning' : 'Normal', reason: holdEventReason(hold.reason), message: hold.detail });
        return;
      }
      case 'step-end': {
        const { step } = entry;
        events.decide(step.guest, { time, pass, kind: 'action', what: `${step.kind} ${stepOutcome(step)}`, detail: step.detail });
        const stuck = step.stop?.result === 'stuck';
        const reason = step.kind === 'start'
          ? (step.status === 'done' ? 'Started' : step.status === 'skipped' ? 'StartSkipped' : 'StartFailed')
          : (stuck ? 'Stuck' : step.status === 'done' ? 'Stopped' : step.status === 'skipped' ? 'StopSkipped' : 'StopFailed');
        events.record({ time, guest: step.guest, type: stepSucceeded(step) ? 'Normal' : 'Warning', reason, message: step.detail });
        return;
      }
      case 'unreachable':
        // Once per outage: the guests are not gone, they are out of sight.
        if (entry.first) events.record({ time, guest: undefined, type: 'Warning', reason: 'HostUnreachable', message: entry.error.message });
        return;
      case 'failed':
        events.record({ time, guest: undefined, type: 'Warning', reason: 'PassFailed', message: errorMessage(entry.error) });
        return;
      default:
        return;
    }
  };
}

/** Prometheus: counters per step, exit and load, ladder step times, and the series of the status after a pass. */
export function metricsSink(metrics: DaemonMetrics, status: () => DaemonStatus): PassSink {
  const ladders = metrics.timeLadders();
  return (_pass, entry) => {
    switch (entry.kind) {
      case 'manifests':
        metrics.manifestValid.set(entry.status === 'ok' ? 1 : 0);
        if (entry.fresh && entry.status !== 'ok') metrics.manifestErrors.inc();
        return;
      case 'exit': {
        const { exit } = entry;
        metrics.exits.inc({ code: exit.unrecorded !== undefined ? 'unrecorded' : exit.code === null ? (exit.signal ?? 'signal') : String(exit.code) });
        return;
      }
      case 'step-start':
        ladders.onStepStart?.(entry.step);
        return;
      case 'ladder-step':
        ladders.onLadderStep?.(entry.guest, entry.step);
        return;
      case 'step-end':
        (entry.step.kind === 'start' ? metrics.starts : metrics.stops).inc({ outcome: stepOutcome(entry.step) });
        ladders.onStepEnd?.(entry.step);
        return;
      case 'done':
        metrics.observePass(entry.summary, status());
        return;
      default:
        return;
    }
  };
}

type StepEnd = Extract<PassEntry, { kind: 'step-end' }>['step'];

/** done / failed / skipped, or stuck: a stop whose ladder ran out of allowed steps. */
function stepOutcome(step: StepEnd): string {
  return step.stop?.result === 'stuck' ? 'stuck' : step.status;
}

function stepSucceeded(step: StepEnd): boolean {
  return step.status === 'done' && step.stop?.result !== 'stuck';
}

function isFailure(meaning: string): boolean {
  return meaning === 'failure' || meaning === 'start-failure' || meaning === 'config-error';
}

function exitMessage(entry: Extract<PassEntry, { kind: 'exit' }>): string {
  const { exit } = entry;
  const how = exit.unrecorded !== undefined ? describeUnrecorded(exit.unrecorded) : exit.code === null ? `killed by ${exit.signal ?? 'a signal'}` : `exit code ${exit.code}`;
  return `qvm (pid ${exit.pid}) ended: ${how} (${entry.meaning})`;
}

function gaveUpMessage(failures: number): string {
  return `gave up after ${failures} failures: stays down until the manifest changes`;
}

function monitorLostMessage(pid: number): string {
  return `qvm (pid ${pid}) ${MONITOR_LOST}`;
}

function atCommit(commit: string | undefined): string {
  return commit === undefined ? '' : ` at commit ${commit.slice(0, 12)}`;
}

function keepingAfterBadLoad(hasLastGood: boolean): string {
  return hasLastGood ? 'keeping the last good desired state' : 'no last good state: nothing will be started';
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function holdEventReason(reason: string): string {
  switch (reason) {
    case 'backoff': return 'BackOff';
    case 'failed': return 'GaveUp';
    case 'config-error': return 'ConfigError';
    case 'fenced': return 'Fenced';
    default: return `Held${reason.split('-').map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join('')}`;
  }
}
