// The one test-only SIGKILL aimed at a process qvmctl started: a guest's MONITOR (a `sh` running
// monitor.sh), never a qvm. A monitor traps every catchable signal, so SIGKILL (as the OOM killer
// would send) is the only way to lose one. The target is re-read and checked right before the kill.
import { join } from 'node:path';
import { createLinuxProcessTable } from '../../src/runtime/proc-table/linux.js';
import { waitFor } from './wait-for.js';

const table = createLinuxProcessTable();

/** SIGKILLs the monitor of a guest's current run and waits until it has ended; returns its pid. */
export async function killGuestMonitor(stateDir: string, guest: string): Promise<number> {
  const guestDir = join(stateDir, 'guests', guest);
  const script = join(stateDir, 'monitor.sh');
  const isMonitor = (argv: readonly string[]): boolean => argv[0] === '/bin/sh' && argv[1] === script && argv[2] === guestDir;
  const monitors = await table.list(isMonitor);
  if (monitors.length !== 1 || monitors[0] === undefined) throw new Error(`expected one monitor for ${guest}, found ${monitors.length}`);
  const { pid, start } = monitors[0];
  const again = await table.get(pid);
  if (again === undefined || again.start !== start || !isMonitor(again.argv)) throw new Error(`pid ${pid} is no longer the monitor of ${guest}`);
  process.kill(pid, 'SIGKILL');
  await waitFor(async () => { const e = await table.get(pid); return e === undefined || e.zombie || e.start !== start; }, { message: `monitor ${pid} ends` });
  return pid;
}
