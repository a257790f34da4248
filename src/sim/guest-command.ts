// `qvm-sim guest <system> <action>`: acts as the guest's own user, over the control socket.

import { GuestNotRunningError, isGuestAction, sendGuestAction, GUEST_ACTIONS } from './control.js';
import { resolveSimDir, simPaths } from './paths.js';
import type { QvmIo } from './run-qvm.js';

/** Exit codes: 0 done, 1 the guest refused or does not run, 2 usage error. */
export async function runGuestCommand(args: readonly string[], io: QvmIo): Promise<number> {
  const [system, action, ...rest] = args;
  if (system === undefined || action === undefined || rest.length > 0 || !isGuestAction(action)) {
    io.err(`usage: qvm-sim guest <system> ${GUEST_ACTIONS.join('|')}`);
    return 2;
  }
  const dir = resolveSimDir();
  try {
    const reply = await sendGuestAction(simPaths(dir, system).controlSocket, action);
    (reply.ok ? io.out : io.err)(`${system}: ${reply.message}`);
    return reply.ok ? 0 : 1;
  } catch (error) {
    if (error instanceof GuestNotRunningError) {
      io.err(`qvm-sim guest: ${system} is not running (no simulated qvm for it in ${dir})`);
      return 1;
    }
    io.err(`qvm-sim guest: ${system}: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
}
