/**
 * The daemon's last resort against a bug: an exception no code path caught, or a rejection no
 * one awaited. Node's default is to exit — one forgotten 'error' listener on one pull would take
 * every running request and every attached client down with it (issue 8). skiffd logs it as the
 * bug it is, with the failing operation where the error names one, and keeps serving.
 */
import type { Logger } from '../log.js';

/**
 * What a Node error says about the operation that failed: the system call and its path(s)
 * (`write /data/content/ingest/ab12`, `rename a → b`), or the command of a child process that
 * could not start. Undefined when the error does not say.
 */
export function failingOperation(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const e = err as { syscall?: unknown; path?: unknown; dest?: unknown; spawnargs?: unknown };
  if (typeof e.syscall === 'string') {
    const path = typeof e.path === 'string' ? ` ${e.path}` : '';
    const dest = typeof e.dest === 'string' ? ` → ${e.dest}` : '';
    const argv =
      e.syscall.startsWith('spawn') && Array.isArray(e.spawnargs)
        ? ` ${e.spawnargs.map(String).join(' ')}`
        : '';
    return `${e.syscall}${path}${dest}${argv}`;
  }
  return undefined;
}

/**
 * Installs the handlers on `proc` (the process, or a stand-in in tests). Returns a function
 * that removes them again.
 */
export function installLastResortHandlers(
  log: Logger,
  proc: NodeJS.EventEmitter = process,
): () => void {
  const report = (kind: string, err: unknown): void => {
    const operation = failingOperation(err);
    log.error(
      { err, kind, ...(operation !== undefined ? { operation } : {}) },
      `BUG: ${kind}${operation !== undefined ? ` in ${operation}` : ''}; skiffd keeps serving — please report this with the log above`,
    );
  };
  const onException = (err: unknown, origin: unknown): void => {
    report(origin === 'unhandledRejection' ? 'unhandled rejection' : 'uncaught exception', err);
  };
  const onRejection = (reason: unknown): void => {
    report('unhandled rejection', reason);
  };
  proc.on('uncaughtException', onException);
  proc.on('unhandledRejection', onRejection);
  return () => {
    proc.off('uncaughtException', onException);
    proc.off('unhandledRejection', onRejection);
  };
}
