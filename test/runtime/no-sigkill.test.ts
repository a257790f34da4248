// Decision 1 as a test: only src/runtime/signal.ts sends signals, SIGKILL appears nowhere, and no
// execa call in src/ leaves forceKillAfterDelay at its default.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = resolve(import.meta.dirname, '../../src');
const TEST = resolve(import.meta.dirname, '..');
const MONITOR_KILLER = 'helpers/kill-monitor.ts';
const BROWSER_HELPER = 'helpers/browser.ts';
const SIGNAL_MODULE = 'runtime/signal.ts';
// It ends its own local ssh client processes (a session that no longer answers), never a qvm.
const SSH_CLIENT = 'runtime/ssh/ssh-client.ts';
// The one exception: a crash point makes qvmctl kill ITSELF (a simulated power loss for tests).
const CRASH_MODULE = 'runtime/crash-point.ts';
const SELF_KILL = "process.kill(process.pid, 'SIGKILL')";

// Code with the single allowed self-kill removed, so that anything else in that file still counts.
function withoutSelfKill(path: string, code: string): string {
  return path === CRASH_MODULE ? code.replace(SELF_KILL, '') : code;
}

function listFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? listFiles(path) : path.endsWith('.ts') ? [path] : [];
  });
}

// Comments may explain why SIGKILL is never sent; only code counts.
function stripComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
}

const allFiles = listFiles(SRC).map((path) => ({ path: relative(SRC, path), code: stripComments(readFileSync(path, 'utf8')) }));
const files = allFiles.map((f) => ({ ...f, code: withoutSelfKill(f.path, f.code) }));

describe('signals (docs/runtime.md, "Signals")', () => {
  it('are sent from one module only', () => {
    const senders = files
      .filter((f) => /\bkill\s*\(|\.kill\b|\bkillall\b|\bpkill\b|\bslay\b/.test(f.code))
      .map((f) => f.path)
      .filter((p) => !p.startsWith('sim/'));
    expect(senders).toEqual([SIGNAL_MODULE, SSH_CLIENT]);
  });

  it('reach a remote host only through the ssh adapter\'s verified signal, and the ssh client ends only its own ssh', () => {
    const ssh = files.filter((f) => f.path.startsWith('runtime/ssh/'));
    // The shell's kill, once: in the beat's signal errand, after the PID and start time verified on
    // the host in the same script; the errand's type admits no KILL.
    const remote = ssh.flatMap((f) => [...f.code.matchAll(/\bkill -s\b/g)].map(() => f.path));
    expect(remote).toEqual(['runtime/ssh/host-beat.ts']);
    const beat = files.find((f) => f.path === 'runtime/ssh/host-beat.ts')?.code ?? '';
    expect(beat).toMatch(/pstart \$\{r\.pid\} && same_start "\$PSTART" \$\{shq\(r\.processStart\)\} && kill -s \$\{r\.signal\}/);
    expect(beat).toMatch(/readonly signal: 'TERM' \| 'QUIT' \| 'USR1' \| 'USR2';/);
    const local = files.find((f) => f.path === SSH_CLIENT)?.code ?? '';
    expect([...local.matchAll(/\.kill\(([^)]*)\)/g)].map((m) => m[1])).toEqual(["'SIGTERM'"]);
  });

  it('never include SIGKILL or signal 9', () => {
    const offenders = files.filter((f) => /SIGKILL|kill\([^)]*,\s*9\s*\)/.test(f.code)).map((f) => f.path);
    expect(offenders).toEqual([]);
  });

  it('are spawned by execa with forceKillAfterDelay: false everywhere', () => {
    const offenders = files.flatMap((f) =>
      [...f.code.matchAll(/\bexeca(?:Node|Sync)?\s*\(/g)]
        .map((m) => f.code.slice(m.index, f.code.indexOf(');', m.index) + 2))
        .filter((call) => !/forceKillAfterDelay:\s*false/.test(call))
        .map((call) => `${f.path}: ${call.slice(0, 60)}`),
    );
    expect(offenders).toEqual([]);
  });

  it('allow exactly one self-kill, in the crash-point module, aimed at process.pid', () => {
    const crash = allFiles.find((f) => f.path === CRASH_MODULE);
    expect(crash?.code.split(SELF_KILL).length).toBe(2);
    const selfKillers = allFiles.filter((f) => f.code.includes(SELF_KILL)).map((f) => f.path);
    expect(selfKillers).toEqual([CRASH_MODULE]);
    // A second kill in that file, or a SIGKILL aimed elsewhere, is still caught.
    expect(/SIGKILL/.test(withoutSelfKill(CRASH_MODULE, `${SELF_KILL}; process.kill(pid, 'SIGKILL')`))).toBe(true);
    expect(/\bkill\s*\(/.test(withoutSelfKill(CRASH_MODULE, `${SELF_KILL}; process.kill(pid, 'SIGTERM')`))).toBe(true);
  });

  it('in tests, SIGKILL reaches a process qvmctl started only through the monitor helper', () => {
    // Tests may SIGKILL their own qvmctl (a power loss) and, in the simulator's damage test, a bare
    // simulator they spawned themselves. A guest's monitor is killed only by test/helpers/kill-monitor.ts,
    // which re-reads the target and checks it is `/bin/sh <stateDir>/monitor.sh <guest dir>` first.
    // The browser helper may SIGKILL the headless Chromium it started, which is no qvm and not qvmctl's.
    const testFiles = listFiles(TEST).map((path) => ({ path: relative(TEST, path), code: stripComments(readFileSync(path, 'utf8')) }));
    const pidKillers = testFiles.filter((f) => f.path !== 'runtime/no-sigkill.test.ts' && /process\.kill\([^)]*SIGKILL/.test(f.code)).map((f) => f.path);
    expect(pidKillers).toEqual([BROWSER_HELPER, MONITOR_KILLER]);
    const helper = testFiles.find((f) => f.path === MONITOR_KILLER)?.code ?? '';
    expect(helper).toMatch(/argv\[1\] === script/);
    expect(helper.split("process.kill(").length).toBe(2);
  });

  it('finds a violation when there is one (the scan can fail)', () => {
    const code = stripComments("process.kill(pid, 'SIGKILL'); // ok");
    expect(/SIGKILL/.test(code)).toBe(true);
  });
});
