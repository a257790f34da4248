// The per-guest monitor (docs/runtime.md, "How qvm is run"): a POSIX sh script that runs qvm in the foreground,
// records its PID and, when it ends, its exit status and time. It never sends or forwards a signal.
// qvm runs in the FOREGROUND on purpose: a non-interactive sh starts background (`&`) commands with
// SIGINT and SIGQUIT ignored, which would make qvm deaf to the power cut. The inner `sh -c` writes
// its own PID and then `exec`s qvm, so the PID recorded is qvm's.
// Signals sent to the monitor itself are caught and ignored (handlers, not SIG_IGN, so qvm does not
// inherit them), so the exit record is written even if the monitor is hit by a host-wide SIGTERM.
// umask 077: the PID file, exit record and console log (and what qvm writes) are private to the owner.
// It never writes through a symbolic link: a guest directory, console log, PID file or exit record
// that is one makes it end (70) before qvm runs, and a temp file that is one is removed first
// (docs/runtime.md, "Whose state directory").
// Between qvm's end and the exit record only two programs run (`date`, `mv`): the PID file and the
// stop request are read with the shell's own `read`, and `rm` runs only for a temp file left behind.

export const MONITOR_SCRIPT = `#!/bin/sh
# qvmctl guest monitor. usage: monitor.sh <guest-dir> <run-id> <qvm argv...>
dir=$1
run=$2
shift 2
umask 077
trap ':' HUP INT TERM QUIT USR1 USR2
now_ms() {
  t=$(date +%s%3N 2>/dev/null)
  case $t in
    *[!0-9]*|'') t="$(date +%s)000" ;;
  esac
  echo "$t"
}
for f in "$dir" "$dir/console.log" "$dir/run-$run.pid" "$dir/run-$run.pid.tmp" "$dir/run-$run.exit.json" "$dir/run-$run.exit.json.tmp"; do
  if [ -L "$f" ]; then
    echo "qvmctl monitor: $f is a symbolic link; not running qvm" >&2
    exit 70
  fi
done
started=$(now_ms)
/bin/sh -c 'echo "$$" > "$0.tmp" && mv -f "$0.tmp" "$0" && exec "$@"' "$dir/run-$run.pid" "$@" >>"$dir/console.log" 2>&1 </dev/null
status=$?
at=$(now_ms)
pid=
read -r pid 2>/dev/null <"$dir/run-$run.pid"
case $pid in
  *[!0-9]*|'') pid=0 ;;
esac
requested=false
asked=
if [ -f "$dir/stop-request" ]; then
  read -r asked 2>/dev/null <"$dir/stop-request"
fi
if [ "$asked" = "$pid" ]; then
  requested=true
fi
if [ -e "$dir/run-$run.exit.json.tmp" ] || [ -L "$dir/run-$run.exit.json.tmp" ]; then
  rm -f "$dir/run-$run.exit.json.tmp"
fi
printf '{"runId":"%s","pid":%s,"status":%s,"startedAt":%s,"at":%s,"requested":%s}\\n' \\
  "$run" "$pid" "$status" "$started" "$at" "$requested" > "$dir/run-$run.exit.json.tmp"
mv -f "$dir/run-$run.exit.json.tmp" "$dir/run-$run.exit.json"
`;
