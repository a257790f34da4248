// Readiness gates: none, minimum uptime, a console log line, or a command that exits 0. Each ends
// false as soon as the guest's qvm ends (or on abort, or at the timeout).
import { open } from 'node:fs/promises';
import type { GuestSpec, Readiness } from '../model/guest-spec.js';
import type { ObservedGuest } from '../model/observed.js';
import type { RuntimeContext } from './context.js';
import { delay, pollUntil } from './poll.js';
import { isSameProcess } from './proc-table/types.js';
import { runCommand } from './run-command.js';
import { readIdentity, writeIdentity } from './state/identity.js';

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
      const pattern = new RegExp(readiness.pattern);
      const reader = createLineReader(ctx.layout.consoleLog(spec.name), offset);
      let ended = false;
      const found = await pollUntil(
        async () => {
          if ((await reader.next()).some((line) => pattern.test(line))) return true;
          return (ended = !(await alive()));
        },
        { ...poll, timeoutMs: readiness.timeoutMs },
      );
      return found && !ended;
    }
    case 'command': {
      const deadline = Date.now() + readiness.timeoutMs;
      const argv = ctx.launcher.resolveCommand(readiness.argv);
      while (Date.now() < deadline && signal?.aborted !== true) {
        if (!(await alive())) return false;
        const result = await runCommand({ argv, env: ctx.env, timeoutMs: Math.max(1, deadline - Date.now()), signal });
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

/** Complete lines appended to a file since `offset`, returned a batch at a time. */
function createLineReader(path: string, offset: number): { next(): Promise<string[]> } {
  let position = offset;
  let partial = '';
  return {
    async next() {
      const handle = await open(path, 'r').catch(() => undefined);
      if (handle === undefined) return [];
      try {
        const { size } = await handle.stat();
        if (size <= position) return [];
        const buffer = Buffer.alloc(size - position);
        const { bytesRead } = await handle.read(buffer, 0, buffer.length, position);
        position += bytesRead;
        const lines = (partial + buffer.subarray(0, bytesRead).toString('utf8')).split('\n');
        partial = lines.pop() ?? '';
        return lines;
      } finally {
        await handle.close();
      }
    },
  };
}
