// A real, QNX-like ssh target on loopback for tests of the ssh transport: a private OpenSSH sshd
// (own host key, own user key, own config, run in the foreground as a child and stopped by PID),
// whose every session runs mksh (the pdksh successor, closest to QNX's ksh) under `env -i` with a
// PATH of one bin dir: toybox applets, `qvm` (the bundled simulator), `qvm-sim`, `pidin` (the
// simulator's stand-in, docs/simulator.md) and, for os 'qnx', a `uname` that says QNX.
// Nothing outside the temp dir is touched, except /run/sshd, which sshd needs when run as root.
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createLinuxProcessTable } from '../../src/runtime/proc-table/linux.js';
import { SIM_NODE_FLAGS } from '../../src/sim/launch.js';
import { SIM_MAIN } from './sim-guest.js';
import { makeTempDir, removeDir } from './temp-dir.js';
import { waitFor } from './wait-for.js';

const SSHD = '/usr/sbin/sshd';
const MKSH = '/usr/bin/mksh';
const TOYBOX = '/usr/bin/toybox';
const ENV = '/usr/bin/env';
const SETPRIV = '/usr/bin/setpriv';
const UNSHARE = '/usr/bin/unshare';

export type SshTargetOs = 'linux' | 'qnx';

export interface SshRunResult {
  readonly stdout: string;
  readonly stderr: string;
  readonly exitCode: number;
}

export interface SshRunOptions {
  /** Written to the remote command's stdin, then closed (default: empty stdin). */
  readonly input?: string | undefined;
  /** The ssh client is ended (SIGTERM) and run() rejects after this long (default 20 s). */
  readonly timeoutMs?: number | undefined;
}

export interface SshTarget {
  /** Host alias defined in configFile. */
  readonly alias: string;
  readonly port: number;
  /** The login user: the current user. */
  readonly user: string;
  /** An ssh_config for `ssh -F`: HostName, Port, User, key, known_hosts, strict checking, BatchMode. */
  readonly configFile: string;
  readonly knownHostsFile: string;
  readonly identityFile: string;
  /** The temp dir holding everything. */
  readonly dir: string;
  /** The target's only PATH entry. */
  readonly binDir: string;
  /** HOME of every session (also its working directory). */
  readonly homeDir: string;
  /** QVM_SIM_DIR of the target's qvm and qvm-sim wrappers. */
  readonly simDir: string;
  /** The path a qvm process on the target has as argv[1] (a symlink to the built simulator). */
  readonly qvmEntry: string;
  readonly os: SshTargetOs;
  /** With smallFsKiB: the mount point of the target's own small file system (empty seen from here). */
  readonly fsDir: string;
  /** Runs a command on the target through plain `ssh -F configFile alias command`. */
  run(command: string, options?: SshRunOptions): Promise<SshRunResult>;
  /** Stop sshd (SIGTERM by PID; sessions already open are left alone). */
  stopSshd(): Promise<void>;
  /** Start sshd again, on the same port. */
  startSshd(): Promise<void>;
  /** Replace the server's host key (restarting sshd if it runs); known_hosts keeps the old one. */
  rotateHostKey(): Promise<void>;
  /** sshd's own log (stderr, LogLevel INFO) so far, for failure messages. */
  sshdLog(): string;
  /** Stops sshd, power-cuts (SIGQUIT) the target's simulated guests still running, removes the dir. */
  stop(): Promise<void>;
}

export interface SshTargetOptions {
  readonly os?: SshTargetOs | undefined;
  /** Extra commands for the bin dir: name → script text (written with mode 0755). */
  readonly binExtras?: Readonly<Record<string, string>> | undefined;
  /**
   * A small file system of its own (tmpfs of this many KiB) at `fsDir`, seen only by the target's
   * sessions: sshd runs in a mount namespace of its own (unshare, as root), so a test can fill it or
   * remount it read-only from a session without touching this machine's mounts.
   */
  readonly smallFsKiB?: number | undefined;
}

/** One word for a POSIX shell: single-quoted unless it is plainly safe. */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

const execFileAsync = promisify(execFile);

// sshd_config and ssh_config values are not quoted: paths with spaces, quotes or % (a token
// character there) would change meaning. mkdtemp under the usual temp dirs never makes them.
function assertPlainPath(path: string): void {
  if (!/^[A-Za-z0-9_./+-]+$/.test(path)) throw new Error(`ssh target: unsupported characters in path ${path} (set TMPDIR to a plain path)`);
}

/** Kernel-chosen free loopback port; sshd binds it a moment later (a lost race is retried). */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address === null || typeof address === 'string') reject(new Error('no port'));
        else resolve(address.port);
      });
    });
  });
}

/** True once something on the port answers with an SSH banner. */
async function answersSsh(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    let banner = '';
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(2000, () => { done(false); });
    socket.on('error', () => { done(false); });
    socket.on('data', (chunk: Buffer) => {
      banner += chunk.toString('latin1');
      if (banner.includes('\n')) done(banner.startsWith('SSH-2.0-'));
    });
    socket.on('close', () => { done(false); });
  });
}

async function sshdVersion(): Promise<[number, number]> {
  // `sshd -V` prints the version on stderr and exits (older sshd: exit 1 with usage and version).
  const text = await execFileAsync(SSHD, ['-V'], { timeout: 10_000 }).then((r) => r.stderr, (error: unknown) => (error as { stderr?: string }).stderr ?? '');
  const match = /OpenSSH_(\d+)\.(\d+)/.exec(text);
  return match === null ? [0, 0] : [Number(match[1]), Number(match[2])];
}

async function generateKey(path: string, comment: string): Promise<void> {
  rmSync(path, { force: true });
  rmSync(`${path}.pub`, { force: true });
  await execFileAsync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', path], { timeout: 20_000 });
}

interface Layout {
  readonly dir: string;
  readonly bin: string;
  readonly home: string;
  readonly sim: string;
  readonly lib: string;
  readonly sshd: string;
  readonly hostKey: string;
  readonly pidFile: string;
  readonly sshdConfig: string;
  readonly identity: string;
  readonly knownHosts: string;
  readonly sshConfig: string;
}

function layoutOf(dir: string): Layout {
  const sshd = join(dir, 'sshd');
  return {
    dir,
    bin: join(dir, 'bin'),
    home: join(dir, 'home'),
    sim: join(dir, 'sim'),
    lib: join(dir, 'lib'),
    sshd,
    hostKey: join(sshd, 'ssh_host_ed25519_key'),
    pidFile: join(sshd, 'sshd.pid'),
    sshdConfig: join(sshd, 'sshd_config'),
    identity: join(dir, 'id_ed25519'),
    knownHosts: join(dir, 'known_hosts'),
    sshConfig: join(dir, 'ssh_config'),
  };
}

function writeScript(path: string, text: string): void {
  rmSync(path, { force: true });
  writeFileSync(path, text);
  chmodSync(path, 0o755);
}

// Every session: a clean environment, like a QNX login: env -i, PATH = the bin dir only, mksh.
// sshd passes the client's command in SSH_ORIGINAL_COMMAND, and mksh gets it as one argument,
// so no quoting happens here; without a command (`ssh -T` with a script on stdin, or a terminal)
// mksh reads its stdin. No -l: Debian's /etc/profile would set a PATH of its own.
function sessionScript(layout: Layout, user: string): string {
  const env = [
    `HOME=${shellQuote(layout.home)}`,
    `USER=${shellQuote(user)}`,
    `LOGNAME=${shellQuote(user)}`,
    `PATH=${shellQuote(layout.bin)}`,
    `SHELL=${shellQuote(join(layout.bin, 'sh'))}`,
  ].join(' ');
  return `#!${MKSH}
cd ${shellQuote(layout.home)} || exit 1
if [[ -z \${SSH_ORIGINAL_COMMAND+set} ]]; then
\texec ${ENV} -i ${env} TERM="\${TERM:-dumb}" ${MKSH}
fi
exec ${ENV} -i ${env} ${MKSH} -c "$SSH_ORIGINAL_COMMAND"
`;
}

// `uname` of a QNX 8 host. The fields print in uname's fixed order, whatever the order of the flags.
const QNX_UNAME = `#!${MKSH}
s=0 n=0 r=0 v=0 m=0 p=0
(( $# )) || set -- -s
for arg; do
\tcase $arg in
\t--all) arg=-a ;;
\t-*) ;;
\t*) print -u2 "uname: extra operand '$arg'"; exit 1 ;;
\tesac
\tflags=\${arg#-}
\twhile [[ -n $flags ]]; do
\t\tcase \${flags:0:1} in
\t\ta) s=1 n=1 r=1 v=1 m=1 ;;
\t\ts) s=1 ;; n) n=1 ;; r) r=1 ;; v) v=1 ;; m) m=1 ;; p) p=1 ;;
\t\t*) print -u2 "uname: unknown option -\${flags:0:1}"; exit 1 ;;
\t\tesac
\t\tflags=\${flags:1}
\tdone
done
out=
(( s )) && out="$out QNX"
(( n )) && out="$out $(${TOYBOX} hostname)"
(( r )) && out="$out 8.0.0"
(( v )) && out="$out 2025/01/15-10:00:00UTC"
(( m )) && out="$out x86_64"
(( p )) && out="$out x86_64"
print -- "\${out# }"
`;

async function writeBin(layout: Layout, os: SshTargetOs, extras: Readonly<Record<string, string>>): Promise<void> {
  const { stdout } = await execFileAsync(TOYBOX, [], { timeout: 10_000 });
  for (const applet of stdout.split(/\s+/).filter((a) => a !== '' && !a.includes('/'))) {
    symlinkSync(TOYBOX, join(layout.bin, applet));
  }
  const replace = (name: string, make: (path: string) => void): void => {
    const path = join(layout.bin, name);
    rmSync(path, { force: true });
    make(path);
  };
  replace('sh', (path) => { symlinkSync(MKSH, path); });
  // qvmctl recognises a qvm process by the basename of argv[0] or argv[1]: `node <dir>/lib/qvm @…`.
  // Node follows the symlink for its main module, so the simulator loads as ESM from dist/.
  const qvmEntry = join(layout.lib, 'qvm');
  symlinkSync(SIM_MAIN, qvmEntry);
  const simDir = `export QVM_SIM_DIR="\${QVM_SIM_DIR:-${layout.sim}}"`;
  const node = shellQuote(process.execPath);
  // No node flags for qvm: they would stand between node and the entry and hide it from argv[1].
  replace('qvm', (path) => { writeScript(path, `#!${MKSH}\n${simDir}\nexec ${node} ${shellQuote(qvmEntry)} "$@"\n`); });
  const sim = [node, ...SIM_NODE_FLAGS, shellQuote(SIM_MAIN)].join(' ');
  replace('qvm-sim', (path) => { writeScript(path, `#!${MKSH}\n${simDir}\nexec ${sim} "$@"\n`); });
  // Every target shares this machine's /proc: its pidin leaves out the qvm processes of other targets.
  replace('pidin', (path) => { writeScript(path, `#!${MKSH}\nexport QVM_SIM_PIDIN_QVM_ROOT=${shellQuote(layout.dir)}\nexec ${sim} pidin "$@"\n`); });
  // The same for ps: a line of another target's qvm (or qvm wrapper) is left out.
  const own = `*${layout.dir.replace(/[*?[\]\\]/g, '\\$&')}/*`;
  replace('ps', (path) => {
    writeScript(path, `#!${MKSH}\n/usr/bin/toybox ps "$@" | while IFS= read -r l; do\n  case $l in *'/lib/qvm '*|*'/bin/qvm '*) case $l in ${own}) ;; *) continue ;; esac ;; esac\n  print -r -- "$l"\ndone\n`);
  });
  if (os === 'qnx') replace('uname', (path) => { writeScript(path, QNX_UNAME); });
  for (const [name, text] of Object.entries(extras)) {
    if (!/^[A-Za-z0-9._+-]+$/.test(name) || name === '.' || name === '..') throw new Error(`ssh target: bad bin name ${JSON.stringify(name)}`);
    replace(name, (path) => { writeScript(path, text); });
  }
}

async function writeSshdConfig(layout: Layout, port: number, user: string): Promise<void> {
  const [major, minor] = await sshdVersion();
  const lines = [
    'ListenAddress 127.0.0.1',
    `Port ${port}`,
    `HostKey ${layout.hostKey}`,
    `PidFile ${layout.pidFile}`,
    `AuthorizedKeysFile ${join(layout.sshd, 'authorized_keys')}`,
    `AllowUsers ${user}`,
    'PubkeyAuthentication yes',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'PermitRootLogin prohibit-password',
    'UsePAM no',
    // The temp dir lies under the world-writable /tmp, which StrictModes refuses for authorized_keys.
    'StrictModes no',
    `ForceCommand ${join(layout.lib, 'session')}`,
    // sshd runs ForceCommand with the user's login shell; Debian's bash sources ~/.bashrc when it
    // sees it was started by sshd at shell level 1 (its output would precede every command's).
    'SetEnv SHLVL=1',
    'PermitUserEnvironment no',
    'PermitUserRC no',
    'AllowTcpForwarding no',
    'AllowAgentForwarding no',
    'X11Forwarding no',
    'PermitTunnel no',
    'PrintMotd no',
    'PrintLastLog no',
    'UseDNS no',
    // Tests open many connections at once (pidin views run in parallel); the default 10 drops some.
    'MaxStartups 200',
    'MaxSessions 100',
    'LogLevel INFO',
  ];
  // OpenSSH 9.8 and newer penalise addresses whose connections fail; the host-key tests fail on purpose.
  if (major > 9 || (major === 9 && minor >= 8)) lines.push('PerSourcePenalties no');
  writeFileSync(layout.sshdConfig, `${lines.join('\n')}\n`);
}

function writeSshConfig(layout: Layout, alias: string, port: number, user: string): void {
  writeFileSync(layout.sshConfig, `Host ${alias}
  HostName 127.0.0.1
  Port ${port}
  User ${user}
  IdentityFile ${layout.identity}
  IdentitiesOnly yes
  IdentityAgent none
  UserKnownHostsFile ${layout.knownHosts}
  GlobalKnownHostsFile /dev/null
  StrictHostKeyChecking yes
  UpdateHostKeys no
  CheckHostIP no
  BatchMode yes
  ConnectTimeout 10
`);
}

/** known_hosts as `ssh` looks a non-22 port up: `[127.0.0.1]:port key`. */
function writeKnownHosts(layout: Layout, port: number): void {
  const [type, key] = readFileSync(`${layout.hostKey}.pub`, 'utf8').trim().split(/\s+/);
  writeFileSync(layout.knownHosts, `[127.0.0.1]:${port} ${type ?? ''} ${key ?? ''}\n`);
}

// sshd children still running when the test process exits (a failed test without cleanup):
// ended by PID so that no sshd outlives the run.
const liveSshd = new Set<ChildProcess>();
let exitHookInstalled = false;
function track(child: ChildProcess): void {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', () => {
      for (const c of liveSshd) c.kill('SIGTERM');
    });
  }
  liveSshd.add(child);
  child.on('exit', () => { liveSshd.delete(child); });
}

interface RunningSshd {
  readonly child: ChildProcess;
  readonly exited: Promise<void>;
}

class SshdFailed extends Error {}

const LOG_LIMIT = 256 * 1024;

export async function startSshTarget(options: SshTargetOptions = {}): Promise<SshTarget> {
  const os = options.os ?? 'qnx';
  const user = userInfo().username;
  const alias = 'qnx-target';
  for (const tool of [SSHD, MKSH, TOYBOX, ENV]) {
    if (!existsSync(tool)) throw new Error(`ssh target: ${tool} is missing (Debian packages openssh-server, mksh, toybox; .ci/run installs them)`);
  }
  if (!existsSync(SIM_MAIN)) throw new Error(`ssh target: ${SIM_MAIN} is missing: run npm run build first`);
  // sshd started by root needs its privilege separation directory; a package install makes it at boot only.
  if (process.getuid?.() === 0 && !existsSync('/run/sshd')) {
    mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
    chmodSync('/run/sshd', 0o755);
  }

  const dir = await makeTempDir('ssh-target');
  try {
    assertPlainPath(dir);
  } catch (error) {
    await removeDir(dir);
    throw error;
  }
  const layout = layoutOf(dir);
  const fsDir = join(dir, 'fs');
  if (options.smallFsKiB !== undefined) {
    if (process.getuid?.() !== 0 || !existsSync(UNSHARE)) throw new Error('ssh target: a small file system of its own needs root and unshare (util-linux)');
    mkdirSync(fsDir, { mode: 0o700 });
  }
  let log = '';
  let sshd: RunningSshd | undefined;
  let port = 0;

  const launch = async (): Promise<void> => {
    rmSync(layout.pidFile, { force: true });
    const plainArgv = [SSHD, '-D', '-e', '-f', layout.sshdConfig];
    // unshare execs sh in a new mount namespace, which mounts the small file system and execs sshd:
    // the PID stays sshd's.
    const sshdArgv = options.smallFsKiB === undefined ? plainArgv
      : [UNSHARE, '--mount', '--propagation', 'private', '/bin/sh', '-c', `mount -t tmpfs -o size=${options.smallFsKiB}k,mode=0700 qvmctl-test "$0" && exec "$@"`, fsDir, ...plainArgv];
    // setpriv (util-linux) execs sshd with a parent-death signal: a test process that is killed
    // takes its sshd along. The child's PID is sshd's either way.
    const [command = SSHD, ...args] = existsSync(SETPRIV) ? [SETPRIV, '--pdeathsig', 'SIGTERM', ...sshdArgv] : sshdArgv;
    const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    track(child);
    // 'exit', not 'close': the per-connection sshd processes of open sessions keep stderr open.
    let failed = false;
    const exited = new Promise<void>((resolve) => {
      child.on('exit', () => { resolve(); });
      child.on('error', (error) => {
        failed = true;
        log += `${error.message}\n`;
        resolve();
      });
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      log += chunk;
      if (log.length > LOG_LIMIT) log = log.slice(-LOG_LIMIT / 2);
    });
    const gone = (): boolean => failed || child.exitCode !== null || child.signalCode !== null;
    sshd = { child, exited };
    // sshd writes its PidFile once its socket listens: then the port is certainly this sshd's.
    const ours = (): boolean => {
      try {
        return Number(readFileSync(layout.pidFile, 'utf8').trim()) === child.pid;
      } catch {
        return false;
      }
    };
    try {
      await waitFor(() => gone() || ours(), { timeoutMs: 15_000, message: `sshd to listen on port ${port}` });
      if (!gone()) await waitFor(async () => gone() || (await answersSsh(port)), { timeoutMs: 15_000, message: `sshd to answer on port ${port}` });
    } catch (error) {
      throw new Error(`${error instanceof Error ? error.message : String(error)}\nsshd log:\n${log}`);
    }
    if (gone()) {
      await exited;
      sshd = undefined;
      throw new SshdFailed(`sshd exited at start (port ${port}):\n${log}`);
    }
  };

  const stopSshd = async (): Promise<void> => {
    const running = sshd;
    if (running === undefined) return;
    if (running.child.exitCode === null && running.child.signalCode === null) running.child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'late'>((resolve) => { timer = setTimeout(() => { resolve('late'); }, 10_000); });
    // sshd is not a qvm: one that ignores SIGTERM for 10 s is killed.
    if ((await Promise.race([running.exited, deadline])) === 'late') {
      running.child.kill('SIGKILL');
      await running.exited;
    }
    clearTimeout(timer);
    sshd = undefined;
  };

  const qvmEntry = join(layout.lib, 'qvm');
  const removeEverything = async (): Promise<void> => {
    try {
      await stopSshd();
      await powerCutGuests((argv) => argv[1] === qvmEntry || (argv.includes(SIM_MAIN) && argv.some((a) => a.startsWith(`@${dir}/`))));
      // ssh clients of this target that outlived their test (a master connection persists by design).
      for (const client of await createLinuxProcessTable().list((argv) => argv[0] === 'ssh' && argv.includes(layout.sshConfig))) {
        try {
          process.kill(client.pid, 'SIGTERM');
        } catch {
          // already gone
        }
      }
    } finally {
      await removeDir(dir);
    }
  };

  try {
    for (const d of [layout.bin, layout.home, layout.sim, layout.lib, layout.sshd]) mkdirSync(d, { recursive: true });
    await Promise.all([generateKey(layout.hostKey, 'qvmctl-test-host'), generateKey(layout.identity, 'qvmctl-test-user')]);
    writeFileSync(join(layout.sshd, 'authorized_keys'), readFileSync(`${layout.identity}.pub`));
    writeScript(join(layout.lib, 'session'), sessionScript(layout, user));
    await writeBin(layout, os, options.binExtras ?? {});
    // A lost race for the port (another test took it between freePort and sshd's bind) is retried.
    for (let attempt = 1; ; attempt += 1) {
      port = await freePort();
      await writeSshdConfig(layout, port, user);
      try {
        await launch();
        break;
      } catch (error) {
        if (!(error instanceof SshdFailed) || !/Address already in use/.test(log) || attempt >= 5) throw error;
      }
    }
    writeSshConfig(layout, alias, port, user);
    writeKnownHosts(layout, port);
  } catch (error) {
    await removeEverything();
    throw error;
  }

  return {
    alias,
    port,
    user,
    configFile: layout.sshConfig,
    knownHostsFile: layout.knownHosts,
    identityFile: layout.identity,
    dir,
    binDir: layout.bin,
    homeDir: layout.home,
    simDir: layout.sim,
    qvmEntry,
    fsDir,
    os,
    run: (command, runOptions = {}) => runSsh(['-F', layout.sshConfig, alias, command], runOptions),
    stopSshd,
    async startSshd() {
      if (sshd !== undefined) return;
      await launch();
    },
    async rotateHostKey() {
      const wasRunning = sshd !== undefined;
      await stopSshd();
      await generateKey(layout.hostKey, 'qvmctl-test-host-rotated');
      if (wasRunning) await launch();
    },
    sshdLog: () => log,
    stop: removeEverything,
  };
}

function runSsh(args: readonly string[], options: SshRunOptions): Promise<SshRunResult> {
  const timeoutMs = options.timeoutMs ?? 20_000;
  return new Promise((resolve, reject) => {
    const child = spawn('ssh', [...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => { stdout += c; });
    child.stderr.setEncoding('utf8').on('data', (c: string) => { stderr += c; });
    // The remote side may exit before it read its input.
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? '');
    const timer = setTimeout(() => {
      child.kill('SIGTERM');
      reject(new Error(`ssh ${args.join(' ')}: no exit after ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ stdout, stderr, exitCode: code ?? (signal === null ? -1 : 128) });
    });
  });
}

/** Simulated guests the tests left running on this target: the power cut, never SIGKILL. */
async function powerCutGuests(isGuest: (argv: readonly string[]) => boolean): Promise<void> {
  const table = createLinuxProcessTable();
  const guests = await table.list(isGuest);
  for (const guest of guests) {
    try {
      process.kill(guest.pid, 'SIGQUIT');
    } catch {
      // Already gone.
    }
  }
  await waitFor(async () => {
    for (const guest of guests) {
      const now = await table.get(guest.pid);
      if (now !== undefined && !now.zombie && now.start === guest.start) return false;
    }
    return true;
  }, { timeoutMs: 10_000, message: 'leftover qvm processes of the ssh target to exit' });
}
