// The daemon's logger, created once here and passed down: NDJSON for machines, pretty on a terminal.

import { pino, type Logger, type LevelWithSilent } from 'pino';

export const LOG_LEVELS: readonly LevelWithSilent[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

// pino-pretty is loaded only for a terminal: the daemon's resident size matters on small targets.
export async function createLogger(options: { readonly level: LevelWithSilent; readonly pretty: boolean }): Promise<Logger> {
  const base = { level: options.level, base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime };
  if (!options.pretty) return pino(base, pino.destination({ dest: 1, sync: true }));
  const { PinoPretty } = await import('pino-pretty');
  return pino(base, PinoPretty({ colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname', sync: true }));
}
