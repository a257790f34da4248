// The POSIX sh that qvmctl runs on a remote host (docs/remote.md). Only what a QNX host has: a
// pdksh-family sh, toybox-level utilities (cat, mv, rm, mkdir, sed, grep, tail, sleep, wc) and, on
// QNX, pidin. No bash, awk, Python, Node or GNU date. Every value is passed single-quoted.

/** The host's OS, probed once: it decides how the process table is read. */
export type RemoteOs = 'qnx' | 'linux';

/** A word for sh: single-quoted, any character allowed. */
export function shq(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/**
 * `pstart PID` sets PSTART to the process's start time as the process table reports it, or fails
 * when the process is gone (or a zombie); `proc_start PID` prints it.
 */
const PROC_START: Readonly<Record<RemoteOs, string>> = {
  // Field 22 of /proc/PID/stat, read with the shell's own `read`: no process is started. The command
  // name may contain spaces and parentheses, so fields count after the last ") ".
  linux: `pstart() {
  PSTART=
  read -r _l < "/proc/$1/stat" 2>/dev/null || return 1
  _r=\${_l##*) }
  set -- $_r
  case $1 in Z|X) return 1 ;; esac
  shift 19
  [ -n "\${1:-}" ] || return 1
  PSTART=$1
}`,
  // pidin's three-word start time, as proc-table/qnx.ts reads it from \`pidin times\`.
  qnx: `pstart() {
  PSTART=
  _l=$(pidin -p "$1" times 2>/dev/null | sed -n '2p')
  [ -n "$_l" ] || return 1
  set -- $_l
  [ $# -ge 9 ] || return 1
  eval "PSTART=\\"\\\${$(($# - 6))} \\\${$(($# - 5))} \\\${$(($# - 4))}\\""
}`,
};

const PRINT_START = `proc_start() { pstart "$1" && echo "$PSTART"; }`;

/** `proc_args` prints `PID ARGS…` per process; `proc_args PID` for one. */
const PROC_ARGS: Readonly<Record<RemoteOs, string>> = {
  linux: `proc_args() {
  if [ $# -gt 0 ]; then ps -o pid=,args= -p "$1" 2>/dev/null; else ps -A -o pid=,args= 2>/dev/null; fi
}`,
  qnx: `proc_args() {
  if [ $# -gt 0 ]; then pidin -p "$1" -F '%a %A' 2>/dev/null; else pidin -F '%a %A' 2>/dev/null; fi
}`,
};

/** Sleeps a fraction of a second where sleep takes one, else a whole second. */
const NAP = `nap() { sleep "$1" 2>/dev/null || sleep 1; }`;

/**
 * A file lock compatible with the local adapter's (state/lock.ts): created exclusively (noclobber),
 * holding `{"pid":…,"processStart":"…"}` of a process on the host, broken when that process is gone.
 * `take_lock PATH TRIES` takes it or prints `@@busy PID` and fails.
 */
const LOCK = `take_lock() {
  pstart $$; _me=$PSTART
  _n=0
  while :; do
    if ( set -C; printf '{"pid":%s,"processStart":"%s"}' "$$" "$_me" > "$1" ) 2>/dev/null; then return 0; fi
    _hp=$(sed -n 's/.*"pid":\\([0-9]*\\).*/\\1/p' "$1" 2>/dev/null)
    _hs=$(sed -n 's/.*"processStart":"\\([^"]*\\)".*/\\1/p' "$1" 2>/dev/null)
    if [ -n "$_hp" ] && { pstart "$_hp"; [ "$PSTART" != "$_hs" ]; }; then rm -f "$1"; continue; fi
    _n=$((_n + 1))
    # A lock nobody could read for the whole wait was left half-written by a process that died.
    if [ -z "$_hp" ] && [ $_n -ge "$2" ]; then rm -f "$1"; continue; fi
    if [ $_n -ge "$2" ]; then echo "@@busy \${_hp:-0}"; return 1; fi
    nap 0.05
  done
}
drop_lock() {
  _hp=$(sed -n 's/.*"pid":\\([0-9]*\\).*/\\1/p' "$1" 2>/dev/null)
  [ "$_hp" = "$$" ] && rm -f "$1"
  return 0
}`;

/** Atomic write: `put PATH` writes standard input beside PATH and renames it into place. */
const PUT = `put() {
  cat > "$1.tmp.$$" && mv -f "$1.tmp.$$" "$1"
}`;

/**
 * `trust_sd DIR` fails, with one line `@@untrusted<TAB>path<TAB>problem<TAB>fix` on stderr, unless
 * the state directory may be trusted as OpenSSH's StrictModes trusts ~/.ssh (docs/remote.md): DIR
 * is no symbolic link, is the login user's and not writable by group or others (when it exists),
 * and every existing directory above it, as written and as it resolves, is root's or the login
 * user's and not writable by group or others unless it is root's and sticky (like /tmp). It only
 * looks (\`ls -ldn\`: toybox, busybox and QNX's ls all have it).
 */
const TRUST = `untrusted() {
  emit "@@untrusted\t$1\t$2\t$3" >&2
  return 1
}
trust_up() {
  _tp=$1
  while [ "$_tp" != / ]; do
    _tp=\${_tp%/*}; [ -n "$_tp" ] || _tp=/
    [ -d "$_tp" ] || continue
    set -- $(ls -ldn "$_tp/." 2>/dev/null)
    _tw=
    case $3 in 0|"$_tu") ;; *) _tw="is owned by uid $3, neither root nor the login user" ;; esac
    case $1 in ?????????[tT]*) [ "$3" = 0 ] || case $1 in ?????w*|????????w*) _tw="\${_tw:+$_tw and }is writable by group or others without the sticky bit ($1)" ;; esac ;;
      ?????w*|????????w*) _tw="\${_tw:+$_tw and }is writable by group or others without the sticky bit ($1)" ;; esac
    [ -z "$_tw" ] || { untrusted "$_tp" "(above the state directory) $_tw" "chown root $_tp && chmod go-w $_tp"; return 1; }
  done
  return 0
}
trust_sd() {
  _ts=$1; _tu=$(id -u)
  [ -L "$_ts" ] && { untrusted "$_ts" 'is a symbolic link (the state directory must be a real directory)' "rm $_ts && mkdir -m 700 $_ts"; return 1; }
  if [ -d "$_ts" ]; then
    set -- $(ls -ldn "$_ts" 2>/dev/null)
    _tw=
    [ "$3" = "$_tu" ] || _tw="is owned by uid $3, not by the login user (uid $_tu)"
    case $1 in ?????w*|????????w*) _tw="\${_tw:+$_tw and }is writable by group or others ($1)" ;; esac
    [ -z "$_tw" ] || { untrusted "$_ts" "$_tw" "chown $(id -un) $_ts && chmod 700 $_ts"; return 1; }
    [ -L "$_ts/guests" ] && { untrusted "$_ts/guests" 'is a symbolic link, which qvmctl never writes through' "rm $_ts/guests"; return 1; }
  fi
  trust_up "$_ts" || return 1
  # The nearest existing directory above it, resolved: its real parents are checked too.
  _tr=\${_ts%/*}
  while [ -n "$_tr" ] && [ ! -d "$_tr" ]; do _tr=\${_tr%/*}; done
  _tr=$(cd "\${_tr:-/}" 2>/dev/null && pwd -P)
  [ -z "$_tr" ] || [ "$_tr" = "\${_ts%/*}" ] || trust_up "$_tr/."
}`;

/** `emit LINE` prints a line as it is; `dump FILE` prints a file, with the shell's builtins only. */
const EMIT = `if [ -n "\${KSH_VERSION:-}" ]; then emit() { print -r -- "$1"; }; else emit() { printf '%s\\n' "$1"; }; fi
dump() {
  while IFS= read -r _l || [ -n "$_l" ]; do emit "$_l"; done < "$1"
}`;

export function prelude(os: RemoteOs): string {
  return ['umask 077', EMIT, PROC_START[os], PRINT_START, PROC_ARGS[os], NAP, LOCK, PUT, TRUST, ''].join('\n');
}

/** A here-document that carries `text` unchanged (the marker cannot occur in it). */
export function heredoc(command: string, text: string): string {
  let marker = 'QVMCTL_EOF';
  while (text.includes(marker)) marker += '_';
  return `${command} <<'${marker}'\n${text}${text.endsWith('\n') ? '' : '\n'}${marker}\n`;
}

/** Splits a script's output into sections: lines `@@<tag> <arg>` start one; the rest is its body. */
export interface Section {
  readonly tag: string;
  readonly arg: string;
  readonly body: string;
}

export function parseSections(stdout: string, mark: string): Section[] {
  const sections: Section[] = [];
  let current: { tag: string; arg: string; lines: string[] } | undefined;
  const lines = stdout.split('\n');
  // The output's last newline ends its last line; it does not begin another.
  if (lines.at(-1) === '') lines.pop();
  for (const line of lines) {
    if (line.startsWith(mark)) {
      if (current !== undefined) sections.push({ tag: current.tag, arg: current.arg, body: current.lines.join('\n') });
      const rest = line.slice(mark.length);
      const space = rest.indexOf(' ');
      current = { tag: space < 0 ? rest : rest.slice(0, space), arg: space < 0 ? '' : rest.slice(space + 1), lines: [] };
    } else {
      current?.lines.push(line);
    }
  }
  if (current !== undefined) sections.push({ tag: current.tag, arg: current.arg, body: current.lines.join('\n') });
  return sections;
}
