// How to launch the simulator cheaply. Node flags cannot be applied from inside a running process
// without re-executing it (which would change the PID that supervisors record), so launchers put
// these flags before the script: [process.execPath, ...SIM_NODE_FLAGS, '<dist>/sim/main.js', ...args].
// The `#!` line of dist/sim/main.js carries the same flags for direct use as `qvm-sim`.

/**
 * Flags for a small, idle process: no JIT (an idle guest runs almost no JavaScript; WebAssembly off,
 * which --jitless needs to start without a warning), a small young generation, a capped old
 * generation, and no V8 worker threads (11 threads per guest become 8). Measured in bench/sim.ts:
 * they save little memory (the node binary's own pages dominate) but cut start-up CPU by ~10 %.
 */
export const SIM_NODE_FLAGS: readonly string[] = [
  '--jitless',
  '--no-expose-wasm',
  '--max-semi-space-size=1',
  '--max-old-space-size=32',
  '--single-threaded',
  '--v8-pool-size=0',
];
