// The `qvm-sim --help` text.

export const SIM_HELP = `qvm-sim: a stand-in for the QNX Hypervisor's qvm, for Linux machines without QNX

Usage:
  qvm-sim @file.qvmconf [@more.qvmconf] [inline options]   run one simulated guest
  qvm-sim @file.qvmconf dryrun                             check and summarize, exit 0
  qvm-sim guest <system> shutdown|reboot|hang|crash|ignore-power-button|status
                                                           act from inside a running guest
  qvm-sim reset <system>...                                clear damage markers (like a host reboot)
  qvm-sim pidin [-p pid] [-F format | times]
                                                           QNX's pidin views, from Linux /proc
  qvm-sim --help

Signals: SIGTERM/SIGINT power button, SIGQUIT power cut (exit 3), SIGUSR1 status line,
SIGUSR2 guest dump (with the dump option). Never kill -9: the hardware stays claimed.

Knobs, in comments the real qvm ignores:
  # qvm-sim: boot-ms=200 shutdown-ms=300 ignore-power-button ignore-guest-shutdown
  # qvm-sim: reboot-exit=40 fail-start watchdog-ms=1000
  # qvm-sim: crash-after-ms=N hang-after-ms=N shutdown-after-ms=N reboot-after-ms=N

Exit codes: 0 guest shutdown/reboot, 3 power cut, 4 watchdog, 32-63 reboot-exit,
64 fatal before start (already running, unrecoverable hardware, fail-start),
65 configuration error, 96 guest crash.

Environment: QVM_SIM_DIR (default: <tmpdir>/qvm-sim) holds journal.jsonl and damage markers.
`;
