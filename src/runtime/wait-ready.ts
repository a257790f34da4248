// Readiness gates: none, minimum uptime, a console log line, or a command that exits 0. Each ends
// false as soon as the guest's qvm ends (or on abort, or at the timeout).
import type { GuestSpec, Readiness } from '../model/guest-spec.js';
import type { ObservedGuest } from '../model/observed.js';
import type { RuntimeContext } from './context.js';
import { followLog } from './log-follower.js';
import { delay, pollUntil } from './poll.js';
import { isSameProcess } from './proc-table/types.js';
import { readIdentity, writeIdentity } from './state/identity.js';

/** Without a change event (a file system whose watches miss writes), the log is still re-read this often. */
const LOG_REREAD_MS = 1_000;

export async function waitGuestReady(ctx: RuntimeContext, spec: GuestSpec, guest: ObservedGuest, signal?: AbortSignal): Promise<boolean> {
  const alive = (): Promise<boolean> => isSameProcess(ctx.table, guest.pid, guest.processStart);
  const ready = await checkReadiness(ctx, spec, guest, spec.readiness, alive, signal);
  if (ready) await markReady(ctx, guest);
  return ready;
}

async function checkReadiness(
  ctx: RuntimeContext,
  spec: GuestSpec,
  guest: ObservedGuest,
  readiness: Readiness,
  alive: () => Promise<boolean>,
  signal: AbortSignal | undefined,
): Promise<boolean> {
  const poll = { intervalMs: ctx.tuning.pollMs, signal };
  switch (readiness.kind) {
    case 'none':
      return alive();
    case 'uptime': {
      const left = guest.startedAt + readiness.minUptimeMs - Date.now();
      const endedEarly = await pollUntil(async () => !(await alive()), { ...poll, timeoutMs: Math.max(0, left) });
      return !endedEarly && signal?.aborted !== true && (await alive());
    }
    case 'log': {
      const identity = await readIdentity(ctx.layout, spec.name);
      const offset = identity?.pid === guest.pid ? identity.consoleOffset : 0;
      return waitForLogLine({ ctx, path: ctx.layout.consoleLog(spec.name), offset, pattern: new RegExp(readiness.pattern), timeoutMs: readiness.timeoutMs, alive, signal });
    }
    case 'command': {
      const deadline = Date.now() + readiness.timeoutMs;
      const argv = ctx.launcher.resolveCommand(readiness.argv);
      while (Date.now() < deadline && signal?.aborted !== true) {
        if (!(await alive())) return false;
        const result = await ctx.runCommand({ argv, env: ctx.env, timeoutMs: Math.max(1, deadline - Date.now()), signal });
        if (result.kind === 'exited' && result.code === 0) return alive();
        await delay(Math.min(readiness.intervalMs, Math.max(0, deadline - Date.now())), signal);
      }
      return false;
    }
  }
}

// Remembered in the identity record, so a qvmctl that adopts the guest knows it was ready.
async function markReady(ctx: RuntimeContext, guest: ObservedGuest): Promise<void> {
  const identity = await readIdentity(ctx.layout, guest.name);
  if (identity?.pid !== guest.pid || identity.processStart !== guest.processStart || identity.readyAt !== undefined) return;
  await writeIdentity(ctx.layout, { ...identity, readyAt: Date.now() });
}

// The log is read when it changes; whether qvm still runs is checked every poll interval.
async function waitForLogLine(options: {
  readonly ctx: RuntimeContext;
  readonly path: string;
  readonly offset: number;
  readonly pattern: RegExp;
  readonly timeoutMs: number;
  readonly alive: () => Promise<boolean>;
  readonly signal: AbortSignal | undefined;
}): Promise<boolean> {
  const { ctx, pattern, alive, signal } = options;
  const follower = followLog({ path: options.path, offset: options.offset, rereadMs: LOG_REREAD_MS });
  const deadline = Date.now() + options.timeoutMs;
  try {
    for (;;) {
      if ((await follower.next()).some((line) => pattern.test(line))) return true;
      const left = deadline - Date.now();
      if (left <= 0 || signal?.aborted === true || !(await alive())) return false;
      await follower.waitForChange(Math.min(ctx.tuning.pollMs, left), signal);
    }
  } finally {
    await follower.close();
  }
}
