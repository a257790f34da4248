// The POSIX sh that qvmctl runs on a remote host (docs/remote.md). Only what a QNX host has: a
// pdksh-family sh, toybox-level utilities (cat, mv, rm, mkdir, sed, grep, tail, sleep, wc) and, on
// QNX, pidin. No bash, awk, Python, Node or GNU date. Every value is passed single-quoted.

import type { StateDirProblem } from '../state/state-dir-error.js';

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
  // pidin's three-word start time, as proc-table/qnx.ts reads it from \`pidin times\`; a zombie,
  // which pidin names "(Zombie)", has none (docs/runtime.md, "Process tables").
  qnx: `pstart() {
  PSTART=
  _l=$(pidin -p "$1" times 2>/dev/null | sed -n '2p')
  [ -n "$_l" ] || return 1
  case $_l in *'(Zombie)'*) return 1 ;; esac
  set -- $_l
  [ $# -ge 9 ] || return 1
  eval "PSTART=\\"\\\${$(($# - 6))} \\\${$(($# - 5))} \\\${$(($# - 4))}\\""
}`,
};

const PRINT_START = `proc_start() { pstart "$1" && echo "$PSTART"; }`;

/**
 * `same_start NOW RECORDED`: proc-table/types.ts's sameStart in sh. Equal, or on QNX the time of
 * day recorded and the year now (pidin switches after 182 days: docs/runtime.md, "Process tables").
 */
const SAME_START = `same_start() {
  [ "$1" = "$2" ] && return 0
  set -- $1 $2
  [ $# -eq 6 ] && [ "$1 $2" = "$4 $5" ] || return 1
  case $3 in [0-9][0-9][0-9][0-9]) ;; *) return 1 ;; esac
  case $6 in [0-9]:[0-9][0-9]|[0-9][0-9]:[0-9][0-9]) return 0 ;; esac
  return 1
}`;

/** `proc_args` prints `PID ARGS…` per process; `proc_args PID` for one. */
const PROC_ARGS: Readonly<Record<RemoteOs, string>> = {
  linux: `proc_args() {
  if [ $# -gt 0 ]; then ps -o pid=,args= -p "$1" 2>/dev/null; else ps -A -o pid=,args= 2>/dev/null; fi
}`,
  qnx: `proc_args() {
  if [ $# -gt 0 ]; then pidin -p "$1" -F '%a %A' 2>/dev/null; else pidin -F '%a %A' 2>/dev/null; fi
}`,
};

/** `proc_has PID TEXT` succeeds when the process's command line contains TEXT. */
const PROC_HAS: Readonly<Record<RemoteOs, string>> = {
  linux: `proc_has() { grep -qF -e "$2" "/proc/$1/cmdline" 2>/dev/null; }`,
  qnx: `proc_has() { pidin -p "$1" -F '%A' 2>/dev/null | grep -qF -e "$2"; }`,
};

/**
 * \`qvm_in BRE EXCLUDE\` prints the PID of a process whose command line has an argument matching
 * BRE (written \`[@]…\`, so grep's own command line does not match it) and does not contain
 * EXCLUDE (the monitor), or fails. On Linux from /proc with one grep, not ps and two.
 */
const QVM_IN: Readonly<Record<RemoteOs, string>> = {
  linux: `qvm_in() {
  _qm=$2
  set -- $(grep -l -e "$1" /proc/[0-9]*/cmdline 2>/dev/null)
  [ $# -gt 0 ] || return 1
  set -- $(grep -L -F -e "$_qm" "$@" 2>/dev/null)
  [ $# -gt 0 ] || return 1
  _q=\${1#/proc/}; echo "\${_q%/cmdline}"
}`,
  qnx: `qvm_in() {
  set -- $(proc_args | grep -e "[ ]$1" | grep -vF -e "$2")
  [ $# -gt 0 ] || return 1
  echo "$1"
}`,
};

/** Sleeps a fraction of a second where sleep takes one, else a whole second. */
const NAP = `nap() { sleep "$1" 2>/dev/null || sleep 1; }`;

/**
 * A file lock compatible with the local adapter's (state/lock.ts): created exclusively (noclobber),
 * holding `{"pid":…,"processStart":"…"}` of a process on the host, broken when that process is gone.
 * `take_lock PATH TRIES` takes it, or prints `@@busy PID` and fails with 1, or fails with 2 (and the
 * reason on stderr) when it cannot be written; `try_lock PATH ATTEMPT TRIES` is one of its attempts.
 */
const LOCK = `try_lock() {
  # One attempt: 0 taken, 1 held by a live process (its PID in _hp), 2 cannot be written (the
  # reason on stderr). A lock whose holder is gone is broken at once; one nobody could read is
  # broken only on the last attempt (ATTEMPT = TRIES): it may be being written this very moment.
  pstart $$; _me=$PSTART
  while :; do
    # noclobber: created only if it does not exist (no subshell: a process costs more than the rest).
    set -C
    if printf '{"pid":%s,"processStart":"%s"}' "$$" "$_me" 2>/dev/null > "$1"; then set +C; return 0; fi
    set +C
    # Not there, or there and empty: maybe the file system takes no writes (read-only, full). Then
    # the system's reason goes to stderr; an empty lock it could not fill is removed.
    if [ ! -s "$1" ]; then
      _w=$( { printf x > "$1.w.$$"; } 2>&1 ) || {
        rm -f "$1.w.$$" 2>/dev/null; [ -e "$1" ] && rm -f "$1" 2>/dev/null
        emit "could not take the lock $1: \${_w:-it cannot be written}" >&2; return 2; }
      rm -f "$1.w.$$"
      [ -e "$1" ] || continue
    fi
    _hp=$(sed -n 's/.*"pid":\\([0-9]*\\).*/\\1/p' "$1" 2>/dev/null)
    _hs=$(sed -n 's/.*"processStart":"\\([^"]*\\)".*/\\1/p' "$1" 2>/dev/null)
    if [ -n "$_hp" ] && { ! pstart "$_hp" || ! same_start "$PSTART" "$_hs"; }; then rm -f "$1"; continue; fi
    # A lock nobody could read for the whole wait was left half-written by a process that died.
    if [ -z "$_hp" ] && [ "$2" -ge "$3" ]; then rm -f "$1"; continue; fi
    return 1
  done
}
take_lock() {
  _k=1
  while :; do
    try_lock "$1" $_k "$2"
    case $? in 0) return 0 ;; 2) return 2 ;; esac
    [ $_k -ge "$2" ] && { echo "@@busy \${_hp:-0}"; return 1; }
    _k=$((_k + 1)); nap 0.05
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
 * looks (\`ls -ldn\`: toybox, busybox and QNX's ls all have it). It runs before every script that
 * touches the state directory, and starting a process is the dearest thing such a script does: one
 * \`ls\` lists every directory at once (the name is a line's last word: paths hold no spaces) and
 * the rest is the shell's builtins; \`id -u\` runs once per shell (the prelude sets _tu). It
 * leaves the state directory's mode in _tsm (empty when it does not exist yet). Paths given after
 * DIR are listed by the same \`ls\` and their lines left in _tx (a look's console logs: their sizes
 * cost no process of their own).
 */
const TRUST = `untrusted() {
  emit "@@untrusted\t$1\t$2\t$3" >&2
  return 1
}
trust_above() {
  # Adds to _tl every existing directory above $1, as DIR/. (a link is followed to what it names).
  _ta=$1
  while [ "$_ta" != / ] && [ -n "$_ta" ]; do
    _ta=\${_ta%/*}; [ -n "$_ta" ] || _ta=/
    [ -d "$_ta" ] && _tl="$_tl \${_ta%/}/."
  done
  return 0
}
trust_sd() {
  _ts=$1; _tsm=; _tx=; : "\${_tu:=$(id -u)}"; shift
  [ -L "$_ts" ] && { untrusted "$_ts" 'is a symbolic link (the state directory must be a real directory)' "rm $_ts && mkdir -m 700 $_ts"; return 1; }
  _tl=
  if [ -d "$_ts" ]; then
    [ -L "$_ts/guests" ] && { untrusted "$_ts/guests" 'is a symbolic link, which qvmctl never writes through' "rm $_ts/guests"; return 1; }
    _tl=$_ts
  fi
  trust_above "$_ts"
  # The nearest existing directory above it, resolved by the shell's own cd: its real parents too.
  _tr=\${_ts%/*}
  while [ -n "$_tr" ] && [ ! -d "$_tr" ]; do _tr=\${_tr%/*}; done
  _tr=\${_tr:-/}; _tc=$PWD
  if cd -P "$_tr" 2>/dev/null; then
    _tr=$PWD; cd "$_tc" 2>/dev/null
    [ "$_tr" = "\${_ts%/*}" ] || [ "$_tr" = / ] || { _tl="$_tl $_tr/."; trust_above "$_tr"; }
  fi
  set -f
  # Word splitting of _tl is meant: its paths hold no spaces.
  _tout=$(ls -ldn $_tl "$@" 2>/dev/null)
  _tself=; _tup=; _tupw=
  _tifs=$IFS; IFS='
'
  for _tline in $_tout; do
    IFS=$_tifs
    set -- $_tline
    _tm=$1; _to=$3; eval "_tn=\\\${$#}"
    _tw=
    if [ "$_tn" = "$_ts" ]; then
      [ "$_to" = "$_tu" ] || _tw="is owned by uid $_to, not by the login user (uid $_tu)"
      case $_tm in ?????w*|????????w*) _tw="\${_tw:+$_tw and }is writable by group or others ($_tm)" ;; esac
      _tself=$_tw; _tsm=$_tm
    elif [ "\${_tn%/.}" = "$_tn" ]; then
      _tx="$_tx\${_tx:+
}$_tline"
    else
      _tp=\${_tn%/.}; [ -n "$_tp" ] || _tp=/
      case $_to in 0|"$_tu") ;; *) _tw="is owned by uid $_to, neither root nor the login user" ;; esac
      case $_tm in ?????????[tT]*) [ "$_to" = 0 ] || case $_tm in ?????w*|????????w*) _tw="\${_tw:+$_tw and }is writable by group or others without the sticky bit ($_tm)" ;; esac ;;
        ?????w*|????????w*) _tw="\${_tw:+$_tw and }is writable by group or others without the sticky bit ($_tm)" ;; esac
      # The nearest one is named: the longest path.
      [ -n "$_tw" ] && [ \${#_tp} -gt \${#_tup} ] && { _tup=$_tp; _tupw=$_tw; }
    fi
    IFS='
'
  done
  IFS=$_tifs; set +f
  [ -z "$_tself" ] || { untrusted "$_ts" "$_tself" "chown $(id -un) $_ts && chmod 700 $_ts"; return 1; }
  [ -z "$_tup" ] || { untrusted "$_tup" "(above the state directory) $_tupw" "chown root $_tup && chmod go-w $_tup"; return 1; }
  return 0
}`;

/** `emit LINE` prints a line as it is; `dump FILE` prints a file, with the shell's builtins only. */
const EMIT = `if [ -n "\${KSH_VERSION:-}" ]; then emit() { print -r -- "$1"; }; else emit() { printf '%s\\n' "$1"; }; fi
dump() {
  while IFS= read -r _l || [ -n "$_l" ]; do emit "$_l"; done < "$1"
}`;

export function prelude(os: RemoteOs): string {
  // The login user's uid, once per shell: a script in a subshell could not keep it for the next.
  return ['umask 077', '_tu=$(id -u)', EMIT, PROC_START[os], PRINT_START, SAME_START, PROC_ARGS[os], PROC_HAS[os], QVM_IN[os], NAP, LOCK, PUT, TRUST, ''].join('\n');
}

/** The state directory's problem in a host tool's error message (strerror's words), as locally. */
export function remoteStateDirProblem(message: string): StateDirProblem | undefined {
  if (/No space left on device/i.test(message)) return 'ENOSPC';
  if (/Disk quota exceeded/i.test(message)) return 'EDQUOT';
  if (/Read-only file system/i.test(message)) return 'EROFS';
  if (/Permission denied/i.test(message)) return 'EACCES';
  if (/Operation not permitted/i.test(message)) return 'EPERM';
  if (/Not a directory/i.test(message)) return 'ENOTDIR';
  return undefined;
}

/** A literal for a grep basic regular expression. */
export function escapeBre(text: string): string {
  return text.replace(/[.[\]*^$\\]/g, '\\$&');
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

/** From how many independent commands on inLanes runs them in two lanes. */
export const LANE_MIN = 8;

/**
 * Independent commands, each of which ends the script with 10 when it fails, run in two subshells
 * at once when there are many: a shutdown writes a history and moves an exit record per guest, a
 * process each (mv), and a host has more than one core. Both lanes are waited for, and either
 * one's failure ends the script with 10, as one command's would.
 */
export function inLanes(commands: readonly string[]): string {
  if (commands.length < LANE_MIN) return commands.join('\n');
  const half = Math.ceil(commands.length / 2);
  // A lane ends with 0 unless a command ended it: a command's own status (\`[ -f F ] && …\` when F
  // is not there) is no failure, as it is none in a script that runs them one after another.
  const lane = (part: readonly string[]): string => `(\n${part.join('\n')}\nexit 0\n)`;
  return `${lane(commands.slice(0, half))} & _l1=$!\n${lane(commands.slice(half))} & _l2=$!\nwait $_l1 || { wait $_l2; exit 10; }\nwait $_l2 || exit 10`;
}
