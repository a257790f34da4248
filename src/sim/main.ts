#!/usr/bin/env -S node --jitless --no-expose-wasm --max-semi-space-size=1 --max-old-space-size=32 --single-threaded --v8-pool-size=0
// Entry point of `qvm-sim`. The flags above must match SIM_NODE_FLAGS in launch.ts.
import { writeSync } from 'node:fs';
import { SIM_HELP } from './help.js';
import type { QvmIo } from './run-qvm.js';

function writeLine(fd: number, line: string): void {
  try {
    writeSync(fd, `${line}\n`);
  } catch {
    // A closed console never stops the guest.
  }
}

const io: QvmIo = { out: (line) => { writeLine(1, line); }, err: (line) => { writeLine(2, line); } };
const [first, ...rest] = process.argv.slice(2);

// Exit codes for failures the simulator did not foresee: qvm's "fatal error before the guest started".
async function run(): Promise<number> {
  if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
    writeLine(first === undefined ? 2 : 1, SIM_HELP.trimEnd());
    return first === undefined ? 2 : 0;
  }
  if (first === 'guest') {
    const { runGuestCommand } = await import('./guest-command.js');
    return runGuestCommand(rest, io);
  }
  if (first === 'reset') {
    const { runReset } = await import('./reset.js');
    return runReset(rest, io);
  }
  if (first === 'pidin') {
    const { runPidin } = await import('./pidin.js');
    return runPidin(rest, io);
  }
  const { runQvm } = await import('./run-qvm.js');
  return runQvm(process.argv.slice(2), io);
}

let code: number;
try {
  code = await run();
} catch (error) {
  // e.g. an unwritable QVM_SIM_DIR: one line, no stack trace.
  io.err(`qvm-sim: fatal: ${error instanceof Error ? error.message : String(error)}`);
  code = first === 'guest' || first === 'reset' || first === 'pidin' ? 1 : 64;
}
process.exit(code);
