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

/** A script that keeps running on the host while its session is open (locks, watches). */
export interface SshSession {
  /** Each line the script prints, as it prints it. */
  onLine(listener: (line: string) => void): void;
  /** Resolves when the session ends, with ssh's exit code (255: the connection failed or was lost). */
  readonly ended: Promise<ScriptResult>;
  /** Closes the script's standard input: a script waiting on it ends. */
  end(): void;
}

export interface SshClient {
  /** `ssh://user@host:port`, for messages. */
  readonly where: string;
  /** Runs a script on the host: one round trip. Rejects with HostUnreachableError when ssh fails. */
  run(script: string, options?: RunOptions): Promise<ScriptResult>;
  session(script: string): Promise<SshSession>;
  /** Round trips so far (benchmarks and tests count them). */
  readonly roundTrips: number;
  /** Ends the master connection; scripts already started on the host are not affected. */
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

export function createSshClient(options: { readonly connection: SshConnection; readonly controlDir: string }): SshClient {
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
  const gate = createGate(MAX_SESSIONS - LONG_LIVED_SESSIONS);
  // Set when ssh failed: the master may be gone (the link was lost, or it persisted idle too long).
  let suspect = false;
  const masterAlive = async (): Promise<boolean> => {
    const { execa } = await loadExeca();
    const r = await execa('ssh', [...base, '-O', 'check', connection.host], { reject: false, stdin: 'ignore', timeout: 5_000, forceKillAfterDelay: false });
    return r.exitCode === 0;
  };
  /** The master connection, started again when it is gone. */
  const ensureMaster = async (): Promise<void> => {
    if (suspect && master !== undefined) {
      suspect = false;
      if (!(await masterAlive())) master = undefined;
    }
    await startMaster();
  };

  // The master is started on its own, detached from every pipe: a master forked by an ordinary
  // command would keep that command's stderr open for as long as it persists.
  const startMaster = (): Promise<void> => (master ??= (async () => {
    await mkdir(controlDir, { recursive: true, mode: 0o700 });
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

  return {
    where,
    get roundTrips() {
      return roundTrips;
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
    async session(script) {
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
        end: () => { child.stdin.end(); },
      };
    },
    async close() {
      if (master === undefined) return;
      master = undefined;
      const { execa } = await loadExeca();
      await execa('ssh', [...base, '-O', 'exit', connection.host], { reject: false, stdin: 'ignore', timeout: 5_000, forceKillAfterDelay: false });
    },
  };
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
