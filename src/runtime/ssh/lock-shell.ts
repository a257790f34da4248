// Locks held by one shell kept open on the host (docs/remote.md, "Locks held by the host"): taking or dropping one
// is a line written to that shell and one round trip, not a new ssh client. The lock file holds
// the shell's PID, so it is held for as long as the shell lives: when qvmctl or the link goes away,
// the session ends and the shell drops what it holds (or, if it was killed, the next taker finds
// its PID gone and breaks the lock). Each attempt is a single try on the host; the waiting between
// attempts is done here, so the shell is never busy while another lock of this process waits.
import { LockBusyError } from '../errors.js';
import type { LockRelease } from '../port.js';
import { delay } from '../poll.js';
import type { SshClient, SshSession } from './ssh-client.js';
import { MARK } from './remote-observe.js';
import { shq } from './remote-sh.js';

export interface LockShellOptions {
  readonly client: SshClient;
  /** The shell functions (remote-sh.ts prelude) for the host's OS. */
  readonly prelude: () => Promise<string>;
  readonly stateDir: string;
  readonly where: string;
  /** How a failed take is reported: the exit status of the attempt and what it printed. */
  readonly fail: (status: number, output: string) => Error;
}

export interface LockShell {
  take(path: string, timeoutMs: number): Promise<LockRelease>;
  /** Opens the shell now, for a take that is about to come (a failure is the take's to report). */
  warm(): void;
  close(): void;
}

const ATTEMPT_INTERVAL_MS = 50;

export function createLockShell(o: LockShellOptions): LockShell {
  let shell: Promise<{ session: SshSession; alive: () => boolean }> | undefined;
  let nextId = 0;
  const waiting = new Map<string, { lines: string[]; done: (lines: string[]) => void; fail: (e: Error) => void }>();

  const open = (): Promise<{ session: SshSession; alive: () => boolean }> => (shell ??= (async () => {
    const session = await o.client.session(`${await o.prelude()}M=${shq(MARK)}; SD=${shq(o.stateDir)}; held=
trap 'for _h in $held; do drop_lock "$_h"; done' EXIT
trap 'exit 0' HUP TERM
lk_take() {
  _e=$( {
    trust_sd "$SD" || exit 11
    [ -d "$SD" ] || mkdir -p "$SD" || exit 10
    case $_tsm in drwx------*) ;; *) chmod 700 "$SD" || exit 10 ;; esac
    try_lock "$2" "$3" "$4"; _r=$?
    [ $_r -eq 1 ] && echo "@@busy \${_hp:-0}"
    exit $_r
  } 2>&1 )
  _r=$?
  [ $_r -eq 0 ] && held="$held $2"
  echo "\${M}L$1 $_r"
  [ -n "$_e" ] && emit "$_e"
  echo "\${M}L$1 end"
}
lk_drop() {
  drop_lock "$2"
  _n=; for _h in $held; do [ "$_h" = "$2" ] || _n="$_n $_h"; done; held=$_n
  echo "\${M}L$1 end"
}
echo "\${M}Lready"
`);
    let dead = false;
    const ready = new Promise<boolean>((resolve) => {
      session.onLine((line) => {
        if (line === `${MARK}Lready`) { resolve(true); return; }
        for (const [id, w] of waiting) {
          if (line === `${MARK}L${id} end`) {
            waiting.delete(id);
            w.done(w.lines);
            return;
          }
          if (w.lines.length > 0 || line.startsWith(`${MARK}L${id} `)) { w.lines.push(line); return; }
        }
      });
      void session.ended.then((r) => {
        dead = true;
        shell = undefined;
        resolve(false);
        const error = o.fail(255, r.stderr);
        for (const w of waiting.values()) w.fail(error);
        waiting.clear();
      });
    });
    if (!(await ready)) throw o.fail(255, (await session.ended).stderr);
    session.hold(false);
    return { session, alive: () => !dead };
  })().catch((error: unknown) => {
    shell = undefined;
    throw error;
  }));

  const command = async (line: (id: string) => string): Promise<string[]> => {
    const { session } = await open();
    const id = String(nextId++);
    session.hold(true);
    try {
      return await new Promise<string[]>((done, fail) => {
        waiting.set(id, { lines: [], done, fail });
        session.write(`${line(id)}\n`);
      });
    } finally {
      if (waiting.size === 0) session.hold(false);
    }
  };

  return {
    async take(path, timeoutMs) {
      const tries = Math.max(1, Math.ceil(timeoutMs / ATTEMPT_INTERVAL_MS));
      for (let attempt = 1; ; attempt += 1) {
        o.client.noteRoundTrip();
        const [head = '', ...output] = await command((id) => `lk_take ${id} ${shq(path)} ${attempt} ${tries}`);
        const status = Number(head.slice(head.lastIndexOf(' ') + 1));
        if (status === 0) break;
        if (status !== 1) throw o.fail(status, output.join('\n'));
        if (attempt >= tries) throw new LockBusyError(`${o.where}${path}`, Number(/@@busy (\d+)/.exec(output.join('\n'))?.[1] ?? 0) || undefined);
        await delay(ATTEMPT_INTERVAL_MS);
      }
      let released = false;
      return {
        release() {
          if (released) return Promise.resolve();
          released = true;
          // A shell that is gone has dropped it already. Not waited for: the shell runs its lines in
          // order, so this process's next take comes after it, and a qvmctl that exits now closes
          // the shell's input after this line.
          if (shell !== undefined) void command((id) => `lk_drop ${id} ${shq(path)}`).catch(() => undefined);
          return Promise.resolve();
        },
      };
    },
    warm() {
      void open().catch(() => undefined);
    },
    close() {
      void shell?.then(({ session }) => { session.end(); }, () => undefined);
      shell = undefined;
    },
  };
}
