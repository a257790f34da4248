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

let code: number;
if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
  writeLine(first === undefined ? 2 : 1, SIM_HELP.trimEnd());
  code = first === undefined ? 2 : 0;
} else if (first === 'guest') {
  const { runGuestCommand } = await import('./guest-command.js');
  code = await runGuestCommand(rest, io);
} else if (first === 'reset') {
  const { runReset } = await import('./reset.js');
  code = runReset(rest, io);
} else {
  const { runQvm } = await import('./run-qvm.js');
  code = await runQvm(process.argv.slice(2), io);
}
process.exit(code);
