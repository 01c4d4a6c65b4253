/**
 * Structured logging: one pino root logger, one child per component
 * (`logger.child({ component: 'runtime', container: id })`). Logs go to stderr so that stdout
 * stays free for command output.
 */
import { pino, type Logger, type Level } from 'pino';

export type { Logger };

export const LOG_LEVELS: readonly Level[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'];

export function createLogger(level: Level = 'info', destination: number = 2): Logger {
  return pino(
    { level, base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime },
    pino.destination({ fd: destination, sync: false }),
  );
}

/** A logger that discards everything: for unit tests and short-lived CLI helpers. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
