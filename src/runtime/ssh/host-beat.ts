// The beat of the ssh adapter (docs/remote.md, "The beat"): every small question and errand that
// waits for the host — is this process still there, what did this console log gain, has this run's
// exit record been written, send this signal, mark this stop request — goes into the next script
// of one batch, which runs once the one under way has answered (and no sooner than pollMs after it
// began). The stop ladders, readiness waits and exit-record waits of 50 guests then cost one round
// trip a beat between them, not one each, and they do not queue for the kept-open shells.
import { MARK } from './remote-observe.js';
import { parseSections, shq } from './remote-sh.js';

export type BeatRequest =
  /** Whether a process still runs, and its start time. */
  | { readonly kind: 'alive'; readonly pid: number }
  /** Liveness, and what a console log gained past an offset. */
  | { readonly kind: 'log'; readonly pid: number; readonly path: string; readonly offset: number }
  /** The first of these files that exists, whole (an exit record and where it goes once acknowledged). */
  | { readonly kind: 'read'; readonly files: readonly string[] }
  /**
   * A signal, sent only while the process still has this start time (checked in the same script);
   * with \`mark\`, only once that line is written, in place, to that file (a stop request).
   */
  | {
    readonly kind: 'signal'; readonly pid: number; readonly processStart: string; readonly signal: 'TERM' | 'QUIT' | 'USR1' | 'USR2';
    readonly mark?: { readonly dir: string; readonly file: string; readonly line: string };
  }
  /**
   * Writes one line to a file in the state directory (atomically), creating its directory; with
   * `ifHolds`, only while the file holds that text (it was not replaced meanwhile).
   */
  | {
    readonly kind: 'write'; readonly dir: string; readonly file: string; readonly line: string; readonly ifHolds?: string;
    /**
     * Written in place by the shell's redirect, not through a temporary file and mv (a process):
     * only for a file whose reader takes anything but the whole line for its absence.
     */
    readonly inPlace?: boolean;
  };

export interface BeatAnswer {
  /** alive, log: the start time; undefined when the process is gone (or a zombie). */
  readonly start?: string | undefined;
  /** log: what the log gained and its new size; undefined when it did not grow. */
  readonly log?: { readonly size: number; readonly text: string } | undefined;
  /** read: the file's text; undefined when none of the files exists. */
  readonly text?: string | undefined;
  /** signal: whether it was sent. */
  readonly sent?: boolean;
  /** write, and signal with a mark: why the write failed (`untrusted` when the state directory is not trusted). */
  readonly failed?: string | undefined;
}

/**
 * One beat's script. The shell functions of remote-sh.ts must be defined. `stateDir` is checked
 * with trust_sd only when the beat writes; a refusal fails just the writes, with its reason on stderr.
 */
export function beatScript(requests: readonly BeatRequest[], stateDir: string): string {
  const lines = [`M=${shq(MARK)}`];
  const writes = requests.some((r) => r.kind === 'write' || (r.kind === 'signal' && r.mark !== undefined));
  if (writes) lines.push(`T=; trust_sd ${shq(stateDir)} && T=1`);
  // Errands first (writes, then signals), then the questions: a question asked with an errand in the
  // same beat is answered after it.
  // A line into a file of a directory made if need be: in place, or through a temporary file and mv.
  const writeLine = (w: { readonly dir: string; readonly file: string; readonly line: string }, inPlace: boolean): string => {
    const path = `${w.dir}/${w.file}`;
    const tmp = `${path}.tmp.$$`;
    const write = inPlace ? `emit ${shq(w.line)} > ${shq(path)}` : `emit ${shq(w.line)} > ${shq(tmp)} && mv -f ${shq(tmp)} ${shq(path)}`;
    return `{ [ -d ${shq(w.dir)} ] || mkdir -p ${shq(w.dir)}; } && ${write}`;
  };
  requests.forEach((r, i) => {
    if (r.kind !== 'write') return;
    const guard = r.ifHolds === undefined ? '' : `grep -qF -e ${shq(r.ifHolds)} ${shq(`${r.dir}/${r.file}`)} 2>/dev/null && `;
    lines.push(`if [ -z "$T" ]; then echo "\${M}r${i} untrusted"; elif ${guard} ${writeLine(r, r.inPlace === true)}; then echo "\${M}r${i} ok"; else echo "\${M}r${i} failed"; fi`);
  });
  requests.forEach((r, i) => {
    if (r.kind !== 'signal') return;
    const send = `pstart ${r.pid} && same_start "$PSTART" ${shq(r.processStart)} && kill -s ${r.signal} ${r.pid} && echo "\${M}r${i} sent"`;
    if (r.mark === undefined) {
      lines.push(send);
      return;
    }
    lines.push(`if [ -z "$T" ]; then echo "\${M}r${i} untrusted"; elif ${writeLine(r.mark, true)}; then ${send}; else echo "\${M}r${i} failed"; fi`);
  });
  const pids = [...new Set(requests.flatMap((r) => (r.kind === 'alive' || r.kind === 'log' ? [r.pid] : [])))];
  if (pids.length > 0) lines.push(`for p in ${pids.join(' ')}; do pstart "$p" && echo "\${M}p $p $PSTART"; done`);
  const logs = requests.flatMap((r) => (r.kind === 'log' ? [r] : []));
  if (logs.length > 0) {
    const offsets = logs.map((l) => `${shq(l.path)}) off=${l.offset} ;;`).join(' ');
    lines.push(`wc -c ${[...new Set(logs.map((l) => shq(l.path)))].join(' ')} /dev/null 2>/dev/null | while read -r n f; do
  off=-1; case $f in ${offsets} esac
  [ "$off" -ge 0 ] && [ "$n" -gt "$off" ] 2>/dev/null && { echo "\${M}log $n $f"; tail -c +$((off + 1)) "$f" | head -c $((n - off)); echo; }
done`);
  }
  requests.forEach((r, i) => {
    if (r.kind !== 'read') return;
    lines.push(`for f in ${r.files.map(shq).join(' ')}; do [ -f "$f" ] && { echo "\${M}r${i}"; dump "$f"; break; }; done`);
  });
  lines.push('exit 0', '');
  return lines.join('\n');
}

export function parseBeat(requests: readonly BeatRequest[], stdout: string): BeatAnswer[] {
  const starts = new Map<number, string>();
  const grown = new Map<string, { size: number; text: string }>();
  const answered = new Map<number, { arg: string; body: string }>();
  for (const section of parseSections(stdout, MARK)) {
    const space = section.arg.indexOf(' ');
    if (section.tag === 'p') {
      starts.set(Number(section.arg.slice(0, space)), section.arg.slice(space + 1));
    } else if (section.tag === 'log') {
      // The echo after the bytes ends the section's last line: the body is exactly what the log gained.
      grown.set(section.arg.slice(space + 1), { size: Number(section.arg.slice(0, space)), text: section.body });
    } else if (/^r\d+$/.test(section.tag)) {
      answered.set(Number(section.tag.slice(1)), section);
    }
  }
  return requests.map((r, i): BeatAnswer => {
    const own = answered.get(i);
    switch (r.kind) {
      case 'alive': return { start: starts.get(r.pid) };
      case 'log': return { start: starts.get(r.pid), log: grown.get(r.path) };
      case 'read': return { text: own?.body };
      case 'signal': return own?.arg === 'untrusted' || own?.arg === 'failed' ? { sent: false, failed: own.arg } : { sent: own?.arg === 'sent' };
      case 'write': return { failed: own?.arg === 'ok' ? undefined : (own?.arg ?? 'no answer') };
    }
  });
}

/**
 * Requests made while a batch runs wait for the next batch, which starts as soon as that one ends,
 * but not sooner than `minIntervalMs` after it began: on a small host every beat costs processes,
 * and the waits that ask each poll no faster than that anyway. A batch begins a microtask after
 * the request that starts it, so the requests made together (a `Promise.all`) go in one beat.
 */
export function createBatcher<Req, Res>(run: (requests: readonly Req[]) => Promise<readonly Res[]>, minIntervalMs = 0): (request: Req) => Promise<Res> {
  let queue: { request: Req; resolve: (r: Res) => void; reject: (e: unknown) => void }[] = [];
  let running = false;
  let lastStart = Number.NEGATIVE_INFINITY;
  let timer: NodeJS.Timeout | undefined;
  const pump = (): void => {
    if (running || queue.length === 0 || timer !== undefined) return;
    const wait = lastStart + minIntervalMs - Date.now();
    if (wait > 0) {
      timer = setTimeout(() => { timer = undefined; pump(); }, wait);
      return;
    }
    running = true;
    lastStart = Date.now();
    const batch = queue;
    queue = [];
    run(batch.map((b) => b.request)).then(
      (results) => { batch.forEach((b, i) => { b.resolve(results[i] as Res); }); },
      (error: unknown) => { for (const b of batch) b.reject(error); },
    ).finally(() => {
      running = false;
      pump();
    });
  };
  let scheduled = false;
  return (request) => new Promise<Res>((resolve, reject) => {
    queue.push({ request, resolve, reject });
    if (scheduled) return;
    scheduled = true;
    queueMicrotask(() => { scheduled = false; pump(); });
  });
}
