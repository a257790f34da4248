// A real small (or read-only) filesystem for the state directory: a tmpfs mounted in a private user
// and mount namespace (`unshare -rm`), so a full disk and a read-only one are real, even as root.
// The simulator's directory (<stateDir>/sim, the journal) stays on the outer disk through a bind
// mount, so the test reads the journal as usual. Everything that must see the tmpfs (the CLI runs,
// and looks at the files) happens inside one `sh` script; each step's output is returned by name.
import { spawnSync } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { CLI_MAIN } from './cli.js';

function probe(): string | undefined {
  const r = spawnSync('unshare', ['-rm', 'true'], { encoding: 'utf8' });
  return r.status === 0 ? undefined : `\`unshare -rm\` does not work here (${(r.stderr || r.error?.message || `exit ${r.status}`).trim()}): no private mounts for a small filesystem`;
}

/** Why the small-filesystem tests cannot run on this machine, or undefined when they can. */
export const SMALL_FS_UNAVAILABLE: string | undefined = probe();

export interface SmallFsStep {
  readonly rc: number;
  readonly output: string;
}

// Shell helpers for the script: qvmctl, step, fill_leaving PAGES, unfill, files, qvm_of GUEST.
// qvm_of reads every process's argv with one grep: a pipeline per process took seconds on a busy
// machine. The list is taken before grep runs, so grep's own argv (which names the guest) is not in it.
const PRELUDE = `
set -u
mount --bind "$STATE/sim" "$KEEP" && mount -t tmpfs -o "size=\${SIZE_KB}k,mode=0700" tmpfs "$STATE" && mkdir "$STATE/sim" && mount --bind "$KEEP" "$STATE/sim" || exit 90
qvmctl() { "$NODE" "$CLI" "$@" -f "$MANIFESTS" --state-dir "$STATE"; }
step() { n=$1; shift; echo "@@begin $n"; "$@" 2>&1; r=$?; echo "@@end $n $r"; return $r; }
unfill() { rm -f "$STATE/.fill"; }
fill_leaving() { unfill; free=$(stat -f -c %a "$STATE"); head -c $(( (free - $1) * $(stat -f -c %S "$STATE") )) /dev/zero > "$STATE/.fill" 2>/dev/null; true; }
files() { find "$STATE" -path "$STATE/sim" -prune -o -type f ! -name .fill -printf '%s %P\\n'; }
qvm_of() { g=$1; set -- /proc/[0-9]*/cmdline; grep -lsaF -- "@$STATE/guests/$g/" "$@" | sed 's|^/proc/||; s|/cmdline$||'; true; }
`;

/** Runs `script` inside the namespace with the state directory on a tmpfs of `sizeKb`. */
export async function runInSmallFs(options: {
  readonly root: string;
  readonly stateDir: string;
  readonly manifests: string;
  readonly script: string;
  readonly sizeKb?: number;
}): Promise<{ readonly exitCode: number | undefined; readonly output: string; readonly steps: ReadonlyMap<string, SmallFsStep> }> {
  const keep = join(options.root, 'sim-keep');
  await mkdir(keep, { recursive: true });
  await mkdir(join(options.stateDir, 'sim'), { recursive: true });
  const r = await execa('unshare', ['-rm', 'sh', '-c', `${PRELUDE}\n${options.script}`], {
    reject: false,
    stdin: 'ignore',
    all: true,
    timeout: 90_000,
    forceKillAfterDelay: false,
    env: {
      NO_COLOR: '1',
      NODE: process.execPath,
      CLI: CLI_MAIN,
      STATE: options.stateDir,
      KEEP: keep,
      MANIFESTS: options.manifests,
      ROOT: options.root,
      SIZE_KB: String(options.sizeKb ?? 256),
    },
  });
  const output = r.all;
  const steps = new Map<string, SmallFsStep>();
  for (const m of output.matchAll(/^@@begin (\S+)\n([\s\S]*?)^@@end \1 (\d+)$/gm)) {
    steps.set(m[1] ?? '', { rc: Number(m[3]), output: m[2] ?? '' });
  }
  return { exitCode: r.exitCode, output, steps };
}
