// `qvm-sim reset <system>…`: what a host reboot does for a real system: clears the damage markers
// (abandoned hardware claim, dirty disk) of systems that are not running.

import { inspectClaim, readDirtyReason, removeMarker } from './damage.js';
import { resolveSimDir, simPaths } from './paths.js';
import type { QvmIo } from './run-qvm.js';

export function runReset(systems: readonly string[], io: QvmIo): number {
  if (systems.length === 0) {
    io.err('usage: qvm-sim reset <system>...');
    return 2;
  }
  const dir = resolveSimDir();
  let status = 0;
  for (const system of systems) {
    const paths = simPaths(dir, system);
    const claim = inspectClaim(paths.hardwareClaim);
    if (claim.state === 'held') {
      io.err(`${system}: running (pid ${claim.owner.pid}); not reset`);
      status = 1;
      continue;
    }
    const cleared = [claim.state === 'abandoned' ? 'hardware claim' : undefined, readDirtyReason(paths.diskDirty) === undefined ? undefined : 'dirty disk']
      .filter((x) => x !== undefined);
    removeMarker(paths.hardwareClaim);
    removeMarker(paths.diskDirty);
    io.out(`${system}: ${cleared.length > 0 ? `cleared ${cleared.join(' and ')}` : 'nothing to reset'}`);
  }
  return status;
}
