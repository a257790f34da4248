// The daemon's logger, created once here and passed down: NDJSON for machines, pretty on a terminal.

import type { Logger, LevelWithSilent } from 'pino';
import { colorFor } from './terminal.js';

export const LOG_LEVELS: readonly LevelWithSilent[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

// pino is loaded only by the daemon, and pino-pretty only for a terminal: the one-shot commands
// start faster, and the daemon's resident size matters on small targets.
// Both are CommonJS: their default export is the module itself, which the bundled CLI keeps too.
export async function createLogger(options: { readonly level: LevelWithSilent; readonly pretty: boolean }): Promise<Logger> {
  const pino = (await import('pino')).default;
  const base = { level: options.level, base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime };
  if (!options.pretty) return pino(base, pino.destination({ dest: 1, sync: true }));
  const PinoPretty = (await import('pino-pretty')).default;
  return pino(base, PinoPretty({ colorize: colorFor(process.stdout), translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname', sync: true }));
}
