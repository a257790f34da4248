// The daemon's logger, created once here and passed down: NDJSON for machines, pretty on a terminal.

import { pino, type Logger, type LevelWithSilent } from 'pino';
import { PinoPretty } from 'pino-pretty';

export const LOG_LEVELS: readonly LevelWithSilent[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

export function createLogger(options: { readonly level: LevelWithSilent; readonly pretty: boolean }): Logger {
  const base = { level: options.level, base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime };
  if (!options.pretty) return pino(base, pino.destination({ dest: 1, sync: true }));
  return pino(base, PinoPretty({ colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname', sync: true }));
}
