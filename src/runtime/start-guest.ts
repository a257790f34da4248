// Start one guest: under the per-guest lock, re-check the process table, write the config, launch
// qvm under its monitor (detached, outliving qvmctl), then record the identity of the qvm process.
import { randomBytes } from 'node:crypto';
import { access, open, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { loadExeca, type Execa } from './load-execa.js';
import type { GuestSpec } from '../model/guest-spec.js';
import type { ObservedGuest } from '../model/observed.js';
import type { RuntimeContext } from './context.js';
import { crashPoint } from './crash-point.js';
import { FencedError, GuestAlreadyRunningError, GuestStartError, RuntimeError } from './errors.js';
import { findAnyGuestQvm, findGuestProcess, hasArg, launchRecordPath, type LaunchRecord } from './find-guest-process.js';
import { watchForFiles } from './file-wake.js';
import { delay, pollUntil } from './poll.js';
import { sameStart, type ProcessEntry } from './proc-table/types.js';
import { ensureDir, formatJson, reserveAtomicWrite, type ReservedWrite, writeFileAtomic, writeJsonAtomic } from './state/atomic-file.js';
import { readRunExit } from './state/exit-records.js';
import type { IdentityRecord } from './state/identity.js';
import { FENCE_FILE } from './state/host-state.js';
import { acquireLock } from './state/lock.js';

export async function startGuest(ctx: RuntimeContext, spec: GuestSpec): Promise<ObservedGuest> {
  const { layout } = ctx;
  const name = spec.name;
  // Loaded while the lock, the process table and the state files are dealt with.
  const loadingExeca = loadExeca();
  loadingExeca.catch(() => undefined);
  await ensureDir(layout.guestDir(name));
  // Keeps live processes apart only: no fsync (lock.ts, `durable`).
  const lock = await acquireLock({ path: layout.startLock(name), table: ctx.table, timeoutMs: ctx.tuning.lockTimeoutMs, pollMs: ctx.tuning.pollMs, durable: false });
  try {
    // The last moment before launch, under the lock: a start that loses the race with a host
    // shutdown never launches, whichever path asked for it.
    if (await access(join(layout.root, FENCE_FILE)).then(() => true, () => false)) throw new FencedError(name);
    const processes = await ctx.table.list(ctx.launcher.isQvm);
    const running = (await findGuestProcess(ctx, name, processes)) ?? findAnyGuestQvm(ctx, name, processes);
    if (running !== undefined) throw new GuestAlreadyRunningError(name, running.pid);

    // qvm runs where the relative paths of its configuration were meant (docs/manifests.md, "Paths").
    const cwd = spec.workingDir ?? layout.guestsDir;
    if (!(await stat(cwd).then((s) => s.isDirectory(), () => false))) {
      throw new RuntimeError(`cannot start guest ${name}: its working directory ${cwd} is not a directory (docs/manifests.md, "Paths")`);
    }
    const confPath = layout.confFile(name, spec.configHash);
    const runId = `${Date.now()}-${randomBytes(4).toString('hex')}`;
    const launch: LaunchRecord = {
      runId,
      confPath,
      configHash: spec.configHash,
      startedAt: Date.now(),
      consoleOffset: await stat(layout.consoleLog(name)).then((s) => s.size, () => 0),
    };
    const pidTmp = `${layout.pidFile(name, runId)}.tmp`;
    let launched = false;
    let reserved: ReservedWrite | undefined;
    let identityWrite: ReservedWrite;
    let entry: ProcessEntry;
    // Set before the launch, so neither rename can come first: the PID file says qvm is exec'd,
    // the exit record that it ended (during the start or its grace).
    const wake = watchForFiles(layout.guestDir(name), [layout.pidFile(name, runId), layout.exitFile(name, runId)]);
    try {
      // Independent files, written (and made durable) in parallel, all before qvm is launched. Space
      // for the identity and the monitor's PID file is taken now too: on a full disk the start fails
      // here, never with a qvm running that nothing recorded.
      const writes = await Promise.allSettled([
        reserveAtomicWrite(layout.identityFile(name)),
        writeFileAtomic(pidTmp, '\n'.repeat(64)),
        writeFileAtomic(confPath, spec.qvmconf),
        rm(layout.stopRequest(name), { force: true }),
        writeJsonAtomic(launchRecordPath(ctx, name, runId), launch),
      ]);
      if (writes[0].status === 'fulfilled') reserved = writes[0].value;
      const failed = writes.find((w) => w.status === 'rejected');
      if (failed !== undefined || reserved === undefined) throw failed?.reason as Error;
      identityWrite = reserved;
      launchMonitor({ ctx, execa: (await loadingExeca).execa, name, runId, cwd, qvmArgv: ctx.launcher.argv(confPath, spec.extraArgs) });
      launched = true;
      crashPoint('start:after-monitor-spawn');
      entry = await waitForQvm(ctx, name, runId, confPath, Promise.race([wake.seen(layout.pidFile(name, runId)), wake.seen(layout.exitFile(name, runId))]));
    } catch (error) {
      wake.close();
      await reserved?.abandon();
      // Nothing was launched: leave no launch record of a run that never was.
      if (!launched) await Promise.all([rm(pidTmp, { force: true }), rm(launchRecordPath(ctx, name, runId), { force: true })]).catch(() => undefined);
      throw error;
    }
    const identity: IdentityRecord = { name, ...launch, pid: entry.pid, processStart: entry.start };
    try {
      await identityWrite.commit(formatJson(identity));
      ctx.log({ level: 'info', msg: 'started qvm', guest: name, pid: entry.pid });
      await watchStartGrace(ctx, identity, wake.seen(layout.exitFile(name, runId)));
    } finally {
      wake.close();
    }
    return toObservedGuest(identity, false);
  } finally {
    await lock.release();
  }
}

// Detached, no pipes, not killed with qvmctl, never force-killed (docs/runtime.md, "How qvm is run").
function launchMonitor(options: { ctx: RuntimeContext; execa: Execa; name: string; runId: string; cwd: string; qvmArgv: readonly string[] }): void {
  const { ctx, execa, name, runId, cwd, qvmArgv } = options;
  const child = execa('/bin/sh', [ctx.layout.monitorScript, ctx.layout.guestDir(name), runId, ...qvmArgv], {
    cwd,
    detached: true,
    cleanup: false,
    forceKillAfterDelay: false,
    stdio: 'ignore',
    reject: false,
    buffer: false,
    env: ctx.env,
    extendEnv: false,
  });
  child.unref();
  void child.catch(() => undefined);
}

// The qvm process as soon as it is exec'd (its argv shows the config), or the exit if it ended first.
async function waitForQvm(ctx: RuntimeContext, name: string, runId: string, confPath: string, wake: Promise<void>): Promise<ProcessEntry> {
  const seen: { found?: ProcessEntry; ended?: boolean } = {};
  await pollUntil(
    async () => {
      if ((await readRunExit(ctx.layout, name, runId)) !== undefined) return (seen.ended = true);
      const pid = Number((await readFile(ctx.layout.pidFile(name, runId), 'utf8').catch(() => '')).trim());
      if (!Number.isInteger(pid) || pid <= 1) return false;
      const entry = await ctx.table.get(pid);
      if (entry !== undefined && !entry.zombie && hasArg(entry, `@${confPath}`)) seen.found = entry;
      return seen.found !== undefined;
    },
    { timeoutMs: ctx.tuning.spawnTimeoutMs, intervalMs: Math.min(ctx.tuning.pollMs, 20), wake },
  );
  if (seen.found !== undefined) return seen.found;
  if (seen.ended === true) throw await startFailure(ctx, name, runId);
  throw new RuntimeError(`qvm for guest ${name} did not appear within ${ctx.tuning.spawnTimeoutMs} ms (see ${ctx.layout.consoleLog(name)})`);
}

// qvm that rejects its configuration (65) or fails before the guest starts (64) ends at once.
// Watched closely: a guest that ends this early is started again, and every poll is paid first.
// A launcher that tells when qvm is past its start-up checks (the simulator) keeps the watch on
// beyond the grace until it is, for at most the spawn timeout (docs/runtime.md, "Start").
async function watchStartGrace(ctx: RuntimeContext, identity: IdentityRecord, ended: Promise<void>): Promise<void> {
  const begun = Date.now();
  const deadline = begun + ctx.tuning.startGraceMs;
  const cap = begun + Math.max(ctx.tuning.startGraceMs, ctx.tuning.spawnTimeoutMs);
  const intervalMs = Math.min(ctx.tuning.pollMs, 20);
  const pastChecks = ctx.launcher.pastStartChecks;
  let past = pastChecks === undefined;
  // The exit record's rename wakes the loop once; the process is gone by then (the monitor waited).
  let wake: Promise<void> | undefined = ended;
  void ended.then(() => { wake = undefined; });
  for (;;) {
    const now = Date.now();
    if (now >= deadline && (past || now >= cap)) return;
    const entry = await ctx.table.get(identity.pid);
    if (entry === undefined || entry.zombie || !sameStart(entry.start, identity.processStart)) {
      const gotExit = await pollUntil(async () => (await readRunExit(ctx.layout, identity.name, identity.runId)) !== undefined, {
        timeoutMs: ctx.tuning.exitRecordTimeoutMs,
        intervalMs,
        wake: ended,
      });
      if (gotExit) throw await startFailure(ctx, identity.name, identity.runId);
      throw new GuestStartError(identity.name, null, null, await consoleTail(ctx, identity.name, identity.consoleOffset));
    }
    // Checked only once the grace is over: the console is read again only for a slow start.
    if (!past && Date.now() >= deadline) past = pastChecks?.(await consoleHead(ctx, identity.name, identity.consoleOffset), identity.pid) === true;
    if (past && Date.now() >= deadline) return;
    await delay(Math.min(intervalMs, Math.max(0, (Date.now() < deadline ? deadline : cap) - Date.now())), undefined, wake);
  }
}

// The first bytes qvm wrote to the console log during this run (its start-up lines).
async function consoleHead(ctx: RuntimeContext, name: string, fromOffset: number, maxBytes = 16_384): Promise<string> {
  const file = await open(ctx.layout.consoleLog(name), 'r').catch(() => undefined);
  if (file === undefined) return '';
  try {
    const buffer = Buffer.alloc(maxBytes);
    const { bytesRead } = await file.read(buffer, 0, maxBytes, fromOffset);
    return buffer.toString('utf8', 0, bytesRead);
  } finally {
    await file.close();
  }
}

async function startFailure(ctx: RuntimeContext, name: string, runId: string): Promise<GuestStartError> {
  const exit = await readRunExit(ctx.layout, name, runId);
  const launch = await readFile(launchRecordPath(ctx, name, runId), 'utf8').then((t) => JSON.parse(t) as LaunchRecord, () => undefined);
  return new GuestStartError(name, exit?.code ?? null, exit?.signal ?? null, await consoleTail(ctx, name, launch?.consoleOffset ?? 0));
}

/** The last lines qvm wrote to the console log during this run. */
export async function consoleTail(ctx: RuntimeContext, name: string, fromOffset: number, maxLines = 20): Promise<string> {
  const text = await readFile(ctx.layout.consoleLog(name)).then((b) => b.subarray(fromOffset).toString('utf8'), () => '');
  return text.trimEnd().split('\n').slice(-maxLines).join('\n');
}

export function toObservedGuest(identity: IdentityRecord, stopping: boolean, monitorLost = false): ObservedGuest {
  return {
    name: identity.name,
    pid: identity.pid,
    processStart: identity.processStart,
    configHash: identity.configHash,
    startedAt: identity.startedAt,
    ready: identity.readyAt !== undefined,
    stopping,
    ...(monitorLost ? { monitorLost } : {}),
  };
}
