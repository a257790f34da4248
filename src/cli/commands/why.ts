// `qvmctl why NAME`: the chain of decisions that explains one guest's state (plan entries, holds,
// exits, actions), from the running daemon.

import type { Command } from 'commander';
import { fetchDaemonWhy, type WhyAnswer } from '../daemon-client.js';
import { addManifestOption, addOutputOption, addStateDirOption, type ManifestOptions, type OutputOptions, type StateDirOptions } from '../options.js';
import type { CliOutput, CommandResult } from '../output.js';
import { resolveStateDir } from '../state-dir.js';
import { describeExit, MONITOR_LOST } from '../../render/exit-meaning.js';
import { formatTable } from '../../render/table.js';
import { noDaemon } from './events.js';

export function registerWhy(program: Command, io: CliOutput, result: CommandResult): void {
  const command = program.command('why').description('explain a guest\'s state: the daemon\'s recent decisions about it').argument('<name>', 'guest name');
  addManifestOption(command);
  addStateDirOption(command);
  addOutputOption(command);
  command.action(async (name: string, options: ManifestOptions & StateDirOptions & OutputOptions) => {
    const stateDir = await resolveStateDir(options);
    const answer = await fetchDaemonWhy(stateDir, name);
    if (answer === undefined) throw noDaemon(stateDir);
    result.exitCode = answer.status === undefined && answer.decisions.length === 0 ? 1 : 0;
    if (options.output === 'json') {
      io.document('GuestExplanation', { guest: answer.guest, known: answer.status !== undefined || answer.decisions.length > 0, status: answer.status ?? null, decisions: answer.decisions });
      return;
    }
    io.out(formatWhy(answer));
  });
}

function formatWhy(answer: WhyAnswer): string {
  const { status } = answer;
  if (status === undefined && answer.decisions.length === 0) return `guest ${answer.guest}: unknown to the daemon (no manifest, not running)\n`;
  const lines: string[] = [];
  if (status !== undefined) {
    const pid = status.pid === undefined ? '' : `, pid ${status.pid}`;
    lines.push(`guest ${status.name}: ${status.phase} (desired ${status.desired}${pid}, ${status.restarts} restarts)`);
    if (status.monitorLost) lines.push(MONITOR_LOST);
    if (status.lastExit !== undefined) {
      const exit = status.lastExit;
      const words = describeExit(exit);
      // The restart policy's class, unless the words say it already (`40 (reboot)`, `requested`).
      const counted = exit.meaning === 'requested' || words.includes(exit.meaning) ? '' : `, counted as ${exit.meaning}`;
      lines.push(`last exit: ${words}${counted} at ${new Date(exit.at).toISOString()}`);
    }
    for (const hold of status.holds) lines.push(`held: ${hold.reason}: ${hold.detail}`);
    if (status.lastError !== undefined) lines.push(`last error: ${status.lastError}`);
  }
  if (answer.decisions.length > 0) {
    lines.push('', formatTable(['TIME', 'PASS', 'KIND', 'WHAT', 'DETAIL'], answer.decisions.map((d) => [
      new Date(d.time).toISOString().slice(11, 23), String(d.pass), d.kind, d.what, d.detail,
    ])).trimEnd());
  }
  return `${lines.join('\n')}\n`;
}
