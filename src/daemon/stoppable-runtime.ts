// The runtime as the daemon's passes see it: once the daemon stops, new starts are refused and
// readiness waits end, so the pass under way finishes quickly. Stop ladders already under way run
// to their end (abandoning one half-way would leave a guest between power button and power cut).

import type { HostPort } from '../runtime/port.js';
import { DaemonStoppingError } from './errors.js';

export function stoppableRuntime(runtime: HostPort, stopping: AbortSignal): HostPort {
  return {
    ...runtime,
    observe: () => runtime.observe(),
    start: (spec) => (stopping.aborted ? Promise.reject(new DaemonStoppingError()) : runtime.start(spec)),
    waitReady: (spec, guest, signal) => runtime.waitReady(spec, guest, signal === undefined ? stopping : AbortSignal.any([signal, stopping])),
    stop: (name, shutdown, guest, hooks) => runtime.stop(name, shutdown, guest, hooks),
    stopUnmanaged: (process, shutdown, hooks) => runtime.stopUnmanaged(process, shutdown, hooks),
  };
}
