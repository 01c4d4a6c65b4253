/**
 * Structured logging: one pino root logger, one child per component
 * (`logger.child({ component: 'runtime', container: id })`). Logs go to stderr so that stdout
 * stays free for command output.
 */
import { pino, type Logger, type Level } from 'pino';

export type { Logger };

export const LOG_LEVELS: readonly Level[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'];

/**
 * `sync: true` writes each line before returning: for a process that execve()s right after
 * logging (`skiff daemon`), where a write still queued would be lost.
 */
export function createLogger(
  level: Level = 'info',
  o: { destination?: number; sync?: boolean } = {},
): Logger {
  return pino(
    { level, base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime },
    pino.destination({ fd: o.destination ?? 2, sync: o.sync ?? false }),
  );
}

/** A logger that discards everything: for unit tests and short-lived CLI helpers. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
