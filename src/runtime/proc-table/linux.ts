// Linux process table from /proc: argv from `cmdline`, state and start time from `stat`.
import { readdir, readFile } from 'node:fs/promises';
import type { ProcessEntry, ProcessTable } from './types.js';

export interface StatFields {
  readonly state: string;
  /** Field 22, start time in clock ticks since boot. */
  readonly start: string;
}

// The command name (field 2) may contain spaces and parentheses, so fields are counted after the last ')'.
export function parseProcStat(text: string): StatFields | undefined {
  const close = text.lastIndexOf(')');
  if (close < 0) return undefined;
  const rest = text.slice(close + 2).split(' ');
  const state = rest[0];
  const start = rest[19];
  if (state === undefined || start === undefined || !/^[0-9]+$/.test(start)) return undefined;
  return { state, start };
}

export function parseCmdline(buffer: Buffer): string[] {
  const text = buffer.toString('utf8');
  if (text.length === 0) return [];
  return (text.endsWith('\0') ? text.slice(0, -1) : text).split('\0');
}

export function createLinuxProcessTable(procRoot = '/proc'): ProcessTable {
  const readArgv = async (pid: number): Promise<string[] | undefined> => {
    try {
      return parseCmdline(await readFile(`${procRoot}/${pid}/cmdline`));
    } catch {
      return undefined;
    }
  };
  const get = async (pid: number): Promise<ProcessEntry | undefined> => {
    let stat: StatFields | undefined;
    try {
      stat = parseProcStat(await readFile(`${procRoot}/${pid}/stat`, 'utf8'));
    } catch {
      return undefined;
    }
    if (stat === undefined) return undefined;
    const zombie = stat.state === 'Z' || stat.state === 'X';
    const argv = zombie ? [] : ((await readArgv(pid)) ?? []);
    return { pid, start: stat.start, zombie, argv };
  };
  return {
    get,
    async list(filter) {
      const names = await readdir(procRoot);
      const pids = names.filter((n) => /^[0-9]+$/.test(n)).map(Number);
      const entries = await Promise.all(
        pids.map(async (pid) => {
          const argv = await readArgv(pid);
          if (argv === undefined || argv.length === 0 || !filter(argv)) return undefined;
          const entry = await get(pid);
          return entry === undefined || entry.zombie ? undefined : entry;
        }),
      );
      return entries.filter((e): e is ProcessEntry => e !== undefined);
    },
  };
}
