// The OpenSSH client as qvmctl uses it (docs/remote.md): one master connection per host
// (ControlMaster, ControlPersist) in a private local directory, and every operation a POSIX sh
// script sent on the standard input of `ssh … sh -s` through it. The user's ssh config, agent,
// keys, known_hosts and ProxyJump apply as in every other tool; host-key checking is never turned
// off, and BatchMode makes ssh fail instead of asking.
import { spawn } from 'node:child_process';
import { appendFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { SshConnection } from '../../model/host-spec.js';
import { loadExeca } from '../load-execa.js';
import { HostUnreachableError, type UnreachableKind } from './errors.js';

export interface ScriptResult {
  readonly stdout: string;
  readonly stderr: string;
  readonly exitCode: number;
}

export interface RunOptions {
  /** The client is ended after this long (the remote script may go on until it writes). */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal | undefined;
}

/** A script that keeps running on the host while its session is open (locks, watches, shells). */
export interface SshSession {
  /** Each line the script prints, as it prints it. */
  onLine(listener: (line: string) => void): void;
  /** Resolves when the session ends, with ssh's exit code (255: the connection failed or was lost). */
  readonly ended: Promise<ScriptResult>;
  /** More of the script, on its standard input. */
  write(text: string): void;
  /** Closes the script's standard input: a script waiting on it ends. */
  end(): void;
  /** Ends the local ssh client (a session that no longer answers); the host ends the session. */
  abandon(): void;
  /** Whether the session keeps this process alive (it does at first): an idle kept-open shell does not. */
  hold(held: boolean): void;
}

export interface SshClient {
  /** `ssh://user@host:port`, for messages. */
  readonly where: string;
  /**
   * Runs a script on the host in a new `ssh … sh -s`: one round trip plus an ssh client's start.
   * For scripts that take long (a start, a guest command). Rejects with HostUnreachableError when ssh fails.
   */
  run(script: string, options?: RunOptions): Promise<ScriptResult>;
  /**
   * Runs a short script in one of a few shells kept open on the host, after their `shellInit`: one
   * round trip, no process started on this machine. `exit` ends only the script (it runs in a subshell).
   */
  quick(script: string, options?: { readonly timeoutMs?: number }): Promise<ScriptResult>;
  session(script: string): Promise<SshSession>;
  /** Round trips so far (benchmarks and tests count them). */
  readonly roundTrips: number;
  /** Counts a round trip made through a session (a line written and its answer awaited). */
  noteRoundTrip(): void;
  /** Closes the kept-open shells; the master connection ends by itself once idle. */
  close(): Promise<void>;
}

/** How long an idle master connection stays up. */
const CONTROL_PERSIST_S = 300;
/**
 * Channels open at once through the master connection. sshd refuses sessions beyond its
 * `MaxSessions` (10 by default) per connection; a daemon keeps up to three open (its lock, the pass
 * lock, the exit watch), so scripts take at most the other seven, the rest wait their turn.
 */
const MAX_SESSIONS = 10;
const LONG_LIVED_SESSIONS = 3;
/** Shells kept open for quick scripts; they count against MaxSessions too. */
const SHELLS = 3;
const QUICK_TIMEOUT_MS = 30_000;

/** At most `limit` holders at once; the others wait in order. */
function createGate(limit: number): <T>(fn: () => Promise<T>) => Promise<T> {
  let active = 0;
  const waiting: (() => void)[] = [];
  return async (fn) => {
    if (active >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
    else active += 1;
    try {
      return await fn();
    } finally {
      const next = waiting.shift();
      if (next === undefined) active -= 1;
      else next();
    }
  };
}

export function describeConnection(c: SshConnection): string {
  return `ssh://${c.user === undefined ? '' : `${c.user}@`}${c.host}${c.port === undefined ? '' : `:${c.port}`}`;
}

export function createSshClient(options: {
  readonly connection: SshConnection;
  readonly controlDir: string;
  /** Sent once to each kept-open shell (shell functions the quick scripts use). */
  readonly shellInit?: () => Promise<string>;
}): SshClient {
  const { connection, controlDir } = options;
  const where = describeConnection(connection);
  const controlPath = join(controlDir, 'ssh');
  const base = [
    ...(connection.configFile === undefined ? [] : ['-F', connection.configFile]),
    ...(connection.identityFile === undefined ? [] : ['-i', connection.identityFile, '-o', 'IdentitiesOnly=yes']),
    ...(connection.port === undefined ? [] : ['-p', String(connection.port)]),
    ...(connection.user === undefined ? [] : ['-l', connection.user]),
    '-o', 'BatchMode=yes',
    '-o', `ConnectTimeout=${Math.max(1, Math.ceil(connection.connectTimeoutMs / 1000))}`,
    '-o', 'ServerAliveInterval=5',
    '-o', 'ServerAliveCountMax=3',
    '-o', `ControlPath=${controlPath}`,
  ];
  const commandArgs = [...base, '-o', 'ControlMaster=no', '-T', connection.host, 'sh -s'];
  let roundTrips = 0;
  let master: Promise<void> | undefined;
  const gate = createGate(MAX_SESSIONS - LONG_LIVED_SESSIONS - SHELLS);
  // Set when ssh failed: the master may be gone (the link was lost, or it persisted idle too long).
  let suspect = false;
  // With node's own spawn: the first operation of a command should not wait for execa to load.
  const masterAlive = (): Promise<boolean> => new Promise((resolve) => {
    const child = spawn('ssh', [...base, '-O', 'check', connection.host], { stdio: 'ignore', timeout: 5_000 });
    child.once('error', () => { resolve(false); });
    child.once('exit', (code) => { resolve(code === 0); });
  });
  /** The master connection, started again when it is gone. */
  const ensureMaster = async (): Promise<void> => {
    if (suspect && master !== undefined) {
      suspect = false;
      if (!(await masterAlive())) master = undefined;
    }
    await startMaster();
  };

  // The master is started on its own, detached from every pipe: a master forked by an ordinary
  // command would keep that command's stderr open for as long as it persists. One that an earlier
  // qvmctl left persisting is used as it is: a second `ControlMaster=yes` would find the socket
  // taken, fall back to a connection of its own without multiplexing, and stay in the background
  // (`-N -f`) for as long as the link lasts, one more for every command run.
  const startMaster = (): Promise<void> => (master ??= (async () => {
    await mkdir(controlDir, { recursive: true, mode: 0o700 });
    if (await masterAlive()) return;
    const child = spawn('ssh', [...base, '-o', 'ControlMaster=yes', '-o', `ControlPersist=${CONTROL_PERSIST_S}`, '-N', '-f', connection.host], {
      stdio: ['ignore', 'ignore', 'pipe'],
      detached: true,
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk; });
    const code = await new Promise<number>((resolve) => {
      child.once('error', () => { resolve(255); });
      child.once('exit', (exitCode) => { resolve(exitCode ?? 255); });
    });
    child.stderr.destroy();
    child.unref();
    roundTrips += 1;
    if (code !== 0) throw unreachable(connection, where, stderr);
  })().catch((error: unknown) => {
    master = undefined;
    throw error;
  }));

  const runOnce = (script: string, runOptions: RunOptions): Promise<ScriptResult> => gate(async () => {
    const { execa } = await loadExeca();
    roundTrips += 1;
    await trace(script);
    const result = await execa('ssh', commandArgs, {
      input: script,
      reject: false,
      stripFinalNewline: false,
      forceKillAfterDelay: false,
      ...(runOptions.timeoutMs === undefined ? {} : { timeout: runOptions.timeoutMs }),
      ...(runOptions.signal === undefined ? {} : { cancelSignal: runOptions.signal }),
    });
    if (result.timedOut) {
      suspect = true;
      throw new HostUnreachableError(where, 'timeout', `no answer from ${where} within ${runOptions.timeoutMs ?? 0} ms`);
    }
    if ((result.exitCode ?? 255) === 255) suspect = true;
    return { stdout: result.stdout, stderr: result.stderr, exitCode: result.exitCode ?? 255 };
  });

  const openSession = async (script: string): Promise<SshSession> => {
    await ensureMaster();
    roundTrips += 1;
    await trace(script);
    const child = spawn('ssh', commandArgs, { stdio: ['pipe', 'pipe', 'pipe'] });
    child.stdin.on('error', () => undefined);
    child.stdin.write(script);
    const listeners: ((line: string) => void)[] = [];
    let pending = '';
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      if (stdout.length > 65_536) stdout = stdout.slice(-65_536);
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) for (const listener of listeners) listener(line);
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk; });
    const ended = new Promise<ScriptResult>((resolve) => {
      child.once('error', () => { suspect = true; resolve({ stdout, stderr, exitCode: 255 }); });
      child.once('close', (code) => {
        if ((code ?? 255) === 255) suspect = true;
        resolve({ stdout, stderr, exitCode: code ?? 255 });
      });
    });
    return {
      onLine: (listener) => { listeners.push(listener); },
      ended,
      write: (text) => { child.stdin.write(text); },
      end: () => { child.stdin.end(); },
      abandon: () => { child.kill('SIGTERM'); },
      hold: (held) => {
        // The pipes of a child process are sockets: each holds the event loop until unref'd.
        for (const handle of [child, child.stdin, child.stdout, child.stderr] as unknown as { ref(): void; unref(): void }[]) {
          if (held) handle.ref();
          else handle.unref();
        }
      },
    };
  };

  const shells = createShellPool({
    size: SHELLS,
    open: async (token) => {
      const init = `${(await options.shellInit?.()) ?? ''}echo "${token}ready"\n`;
      // A directory of its own, made by mkdir (which fails on a name that is there, a link
      // included), so nobody else's file is written through; the shell functions come through it.
      return openSession(`umask 077; _n=0
until D="\${TMPDIR:-/tmp}/.qvmctl-$$.$_n"; mkdir "$D" 2>/dev/null; do _n=$((_n + 1)); [ $_n -lt 100 ] || exit 70; done
E="$D/err"; S="$D/script"; O="$D/out"
trap 'rm -f "$E" "$S" "$O"; rmdir "$D"' EXIT
${viaFile(init)} && . "$S" || exit 71
${init}`);
    },
    fail: (stderr) => unreachable(connection, where, stderr),
    where,
  });

  return {
    async quick(script, quickOptions = {}) {
      roundTrips += 1;
      await trace(script);
      return shells.run(script, quickOptions.timeoutMs ?? QUICK_TIMEOUT_MS);
    },
    where,
    get roundTrips() {
      return roundTrips;
    },
    noteRoundTrip() {
      roundTrips += 1;
    },
    async run(script, runOptions = {}) {
      await ensureMaster();
      let result = await runOnce(script, runOptions);
      if (result.exitCode === 255 && isMasterGone(result.stderr)) {
        // The master ended (idle, or the link was lost): connect again, once.
        master = undefined;
        await startMaster();
        result = await runOnce(script, runOptions);
      }
      if (result.exitCode === 255) throw unreachable(connection, where, result.stderr);
      return result;
    },
    session: openSession,
    // The master connection is shared by every client of this host in this process (and by the next
    // qvmctl command): it is left to end by itself, ControlPersist after its last session.
    close() {
      shells.close();
      return Promise.resolve();
    },
  };
}

/**
 * A shell reads a script from a pipe one byte a system call (it must not take what follows for the
 * commands it runs), which makes a long script slow: 100 KB took 140 ms on an idle machine, against
 * 7 ms from a file. From this size on a script goes to the shell's file with one `head -c` (which
 * reads in blocks) and is sourced from there; below it, the byte reads cost less than the process.
 * Nothing follows the script on the pipe until its answer came, so head takes exactly the script.
 */
export const VIA_FILE_BYTES = 2_048;

/**
 * The command that copies the next `script` bytes on stdin into "$S" (to be written right after the
 * line that holds it). If "$S" cannot be written, the bytes are read all the same and the command
 * fails: what is left on the pipe would otherwise be run as commands of the shell itself.
 */
function viaFile(script: string): string {
  const n = Buffer.byteLength(script);
  return `{ head -c ${n} > "$S" || { head -c ${n} > /dev/null; false; }; }`;
}

/** QVMCTL_SSH_TRACE=FILE appends every script sent to a host to FILE (docs/remote.md, troubleshooting). */
async function trace(script: string): Promise<void> {
  const file = process.env['QVMCTL_SSH_TRACE'];
  if (file !== undefined && file !== '') await appendFile(file, `# ---- ${new Date().toISOString()}\n${script}`).catch(() => undefined);
}

function isMasterGone(stderr: string): boolean {
  return /Control socket connect|ControlSocket .* already exists|mux_client|No such file or directory/i.test(stderr) && !/Permission denied|Host key/i.test(stderr);
}

/** ssh's own failure (exit 255) as an error that says what happened and what to do. */
export function unreachable(connection: SshConnection, where: string, stderr: string): HostUnreachableError {
  const text = stderr.trim();
  const last = text.split('\n').filter((l) => l.trim() !== '').at(-1) ?? 'ssh failed without a message';
  const kind: UnreachableKind = /REMOTE HOST IDENTIFICATION HAS CHANGED|Host key for .* has changed/i.test(text) ? 'host-key-changed'
    : /Host key verification failed|No .*host key is known/i.test(text) ? 'host-key-unknown'
    : /Permission denied|Too many authentication failures/i.test(text) ? 'auth'
    : 'unreachable';
  const host = connection.host;
  const message = kind === 'host-key-changed'
    ? `the host key of ${where} has CHANGED since it was recorded in known_hosts: if the host was reinstalled, verify its new key and replace the old one (\`ssh-keygen -R ${host}\`, then connect once with ssh); otherwise someone may be intercepting the connection. Nothing was done.`
    : kind === 'host-key-unknown'
      ? `the host key of ${where} is not known: connect once with \`ssh ${host}\`, check the fingerprint and accept it into known_hosts (qvmctl never accepts host keys by itself). Nothing was done.`
      : kind === 'auth'
        ? `${where} refused the authentication${connection.user === undefined ? '' : ` of user ${connection.user}`}: check the key (spec.connection.ssh.identityFile, or your ssh agent and config) and the host's authorized_keys. Nothing was done.`
        : `${where} is unreachable: ${last}`;
  return new HostUnreachableError(where, kind, message);
}

interface Shell {
  exec(script: string, timeoutMs: number): Promise<ScriptResult>;
  readonly dead: boolean;
  close(): void;
}

/**
 * Shells kept open on the host, one script at a time each. A script runs in a subshell with its
 * standard input closed and its stderr kept aside; a line holding the shell's random token ends it
 * with the script's exit status. A shell that dies or does not answer in time is dropped.
 */
function createShellPool(o: {
  readonly size: number;
  readonly open: (token: string) => Promise<SshSession>;
  readonly fail: (stderr: string) => Error;
  readonly where: string;
}): { run(script: string, timeoutMs: number): Promise<ScriptResult>; close(): void } {
  const idle: Shell[] = [];
  const all = new Set<Shell>();
  const waiting: (() => void)[] = [];
  let closed = false;

  const openShell = async (): Promise<Shell> => {
    const token = `@@q${Math.random().toString(36).slice(2)}:`;
    const session = await o.open(token);
    let current: { out: string[]; err: string[]; inErr: boolean; done: (r: ScriptResult) => void; fail: (e: Error) => void } | undefined;
    let dead = false;
    let ready: (() => void) | undefined;
    const shell: Shell = {
      get dead() {
        return dead;
      },
      exec(script, timeoutMs) {
        return new Promise<ScriptResult>((resolve, reject) => {
          const timer = setTimeout(() => {
            dead = true;
            session.abandon();
            reject(new HostUnreachableError(o.where, 'timeout', `no answer from ${o.where} within ${timeoutMs} ms`));
          }, timeoutMs);
          current = {
            out: [], err: [], inErr: false,
            // Idle, a kept-open shell does not keep this process alive: a command ends when its work does.
            done: (r) => { clearTimeout(timer); current = undefined; session.hold(false); resolve(r); },
            fail: (e) => { clearTimeout(timer); current = undefined; session.hold(false); reject(e); },
          };
          session.hold(true);
          const body = script.endsWith('\n') ? script : `${script}\n`;
          const answer = `_rc=$?; if [ -s "$E" ]; then echo; echo "${token}err"; dump "$E"; fi; echo; echo "${token}end $_rc"\n`;
          session.write(Buffer.byteLength(body) < VIA_FILE_BYTES
            ? `(\n${body}) </dev/null 2>"$E"; ${answer}`
            : `{ ${viaFile(body)} && ( . "$S" ) </dev/null; } 2>"$E"; ${answer}${body}`);
        });
      },
      close() {
        dead = true;
        session.end();
      },
    };
    session.onLine((line) => {
      const at = line.indexOf(token);
      if (at < 0) {
        if (current !== undefined) (current.inErr ? current.err : current.out).push(line);
        return;
      }
      const marker = line.slice(at + token.length);
      if (marker === 'ready') ready?.();
      else if (current === undefined) return;
      else if (marker === 'err') current.inErr = true;
      else if (marker.startsWith('end ')) {
        // The echo before each marker ends a last line without a newline: drop the empty line it adds.
        const out = current.out;
        if (out.at(-1) === '') out.pop();
        const err = current.err;
        if (err.at(-1) === '') err.pop();
        current.done({ stdout: out.length === 0 ? '' : `${out.join('\n')}\n`, stderr: err.join('\n'), exitCode: Number(marker.slice(4)) });
      }
    });
    const started = new Promise<void>((resolve) => { ready = resolve; });
    void session.ended.then((r) => {
      dead = true;
      all.delete(shell);
      current?.fail(o.fail(r.stderr.trim() === '' ? `the session ended (exit ${r.exitCode})` : r.stderr));
    });
    const alive = await Promise.race([started.then(() => true), session.ended.then(() => false)]);
    if (!alive) throw o.fail((await session.ended).stderr);
    session.hold(false);
    return shell;
  };

  const acquire = async (): Promise<Shell> => {
    for (;;) {
      const shell = idle.pop();
      if (shell !== undefined && !shell.dead) return shell;
      if (shell !== undefined) continue;
      if (all.size < o.size) {
        const placeholder: Shell = { exec: () => Promise.reject(new Error('unreachable')), dead: false, close: () => undefined };
        all.add(placeholder);
        try {
          const opened = await openShell();
          all.delete(placeholder);
          all.add(opened);
          return opened;
        } catch (error) {
          all.delete(placeholder);
          waiting.shift()?.();
          throw error;
        }
      }
      await new Promise<void>((resolve) => waiting.push(resolve));
    }
  };
  const release = (shell: Shell): void => {
    if (shell.dead || closed) all.delete(shell);
    else idle.push(shell);
    waiting.shift()?.();
  };

  return {
    async run(script, timeoutMs) {
      const shell = await acquire();
      try {
        return await shell.exec(script, timeoutMs);
      } finally {
        release(shell);
      }
    },
    close() {
      closed = true;
      for (const shell of [...all]) shell.close();
      all.clear();
      idle.length = 0;
    },
  };
}
