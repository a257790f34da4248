// Text for `qvmctl shutdown`: one progress line per guest step as it happens, then the result table,
// the blockers and what happened to the host command.

import type { ShutdownHooks, ShutdownResult } from '../executor/shutdown-sequence.js';
import { describeStep } from '../executor/ladder-words.js';
import type { GuestShutdownResult } from '../executor/shutdown-stops.js';

const seconds = (ms: number | undefined): string => (ms === undefined ? '-' : `${(ms / 1000).toFixed(1)} s`);

// Progress lines go to `write` as the sequence runs.
export function createProgressHooks(write: (line: string) => void): ShutdownHooks {
  return {
    onFence: (fence, resumed) => {
      write(resumed ? `fence already up since ${new Date(fence.since).toISOString()}: resuming the shutdown` : 'fence raised: no guest starts or restarts from now on');
    },
    onGuestStart: (step) => { write(`${step.guest}: stopping (pid ${step.pid})`); },
    onLadderStep: (guest, step) => { write(`${guest}: ${describeStep(step)}`); },
    onGuestEnd: (r) => { write(`${r.guest}: ${r.detail}${r.elapsedMs === undefined ? '' : ` after ${seconds(r.elapsedMs)}`}`); },
    onHostCommand: (argv, forced) => { write(`host: running ${argv.join(' ')}${forced ? ' (forced: qvm still alive)' : ''}`); },
  };
}

export function renderShutdownResultText(result: ShutdownResult): string {
  const rows = [['GUEST', 'PID', 'END', 'STEP', 'EXIT', 'ELAPSED'], ...result.guests.map(toRow)];
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  const lines = result.guests.length === 0 ? ['No qvm process was stopped.'] : rows.map((r) => r.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd());
  for (const blocker of result.blockers) lines.push(`blocked by: ${blocker}`);
  lines.push(describeHost(result));
  lines.push(`Shutdown ${result.status} in ${seconds(result.elapsedMs)}${result.resumed ? ', resuming an interrupted sequence' : ''}.`);
  return `${lines.join('\n')}\n`;
}

function toRow(r: GuestShutdownResult): string[] {
  const exit = r.exitCode === undefined ? '-' : r.exitCode === null ? 'signal' : String(r.exitCode);
  const end = r.end === 'blocked' ? `blocked (${r.blockedBy ?? '?'})` : r.end;
  return [r.guest, String(r.pid), end, r.step ?? '-', exit, seconds(r.elapsedMs)];
}

function describeHost({ host }: ShutdownResult): string {
  const command = host.argv.join(' ');
  if (!host.ran) return `host command not run: ${host.reason ?? 'unknown'}`;
  const r = host.result;
  const ended = r === undefined ? 'no result' : r.exitCode !== undefined ? `exit ${r.exitCode}` : r.signal !== undefined ? `ended by ${r.signal}` : `could not run: ${r.detail ?? '?'}`;
  const detail = r?.detail !== undefined && r.exitCode !== undefined && r.exitCode !== 0 ? ` (${r.detail})` : '';
  return `host command ${command}${host.forced ? ' (forced)' : ''}: ${ended}${detail}`;
}
