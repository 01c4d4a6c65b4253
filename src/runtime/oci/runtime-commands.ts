/**
 * The OCI runtime CLI (runc/crun; runtime-tools command-line-interface.md) as pure argv builders
 * and output parsers (STYLE R5). Global flags come from runtime-args.ts.
 */
import { InternalError } from '../../errors.js';
import type { Command } from '../../proc/command.js';
import type { RuntimeStatus } from '../runtime.js';

export interface OciState {
  readonly id: string;
  readonly status: RuntimeStatus;
  readonly pid: number;
  readonly bundle: string;
}

export function parseOciState(stdout: string): OciState {
  let raw: unknown;
  try {
    raw = JSON.parse(stdout);
  } catch {
    throw new InternalError(`runtime state: not JSON: ${stdout.slice(0, 200)}`);
  }
  if (typeof raw !== 'object' || raw === null)
    throw new InternalError('runtime state: not an object');
  const o = raw as Record<string, unknown>;
  const status = typeof o['status'] === 'string' ? o['status'] : 'unknown';
  return {
    id: typeof o['id'] === 'string' ? o['id'] : '',
    status: (['created', 'running', 'paused', 'stopped'].includes(status)
      ? status
      : 'unknown') as RuntimeStatus,
    pid: typeof o['pid'] === 'number' ? o['pid'] : 0,
    bundle: typeof o['bundle'] === 'string' ? o['bundle'] : '',
  };
}

export const stateCommand = (global: readonly string[], id: string): Command<OciState> => ({
  argv: [...global, 'state', id],
  parse: parseOciState,
});

export const startCommand = (global: readonly string[], id: string): Command<void> => ({
  argv: [...global, 'start', id],
  parse: () => undefined,
});

export const killCommand = (
  global: readonly string[],
  id: string,
  signal: string,
  all: boolean,
): Command<void> => ({
  argv: [...global, 'kill', ...(all ? ['--all'] : []), id, signal],
  parse: () => undefined,
});

export const deleteCommand = (
  global: readonly string[],
  id: string,
  force: boolean,
): Command<void> => ({
  argv: [...global, 'delete', ...(force ? ['--force'] : []), id],
  parse: () => undefined,
});

export const pauseCommand = (global: readonly string[], id: string): Command<void> => ({
  argv: [...global, 'pause', id],
  parse: () => undefined,
});

export const resumeCommand = (global: readonly string[], id: string): Command<void> => ({
  argv: [...global, 'resume', id],
  parse: () => undefined,
});

/**
 * `update --resources -`: new cgroup limits for a running container, as an OCI LinuxResources
 * document on stdin (runc and crun both read it so).
 */
export const updateCommand = (
  global: readonly string[],
  id: string,
  resources: unknown,
): Command<void> => ({
  argv: [...global, 'update', '--resources', '-', id],
  input: JSON.stringify(resources),
  parse: () => undefined,
});

/** `exec --process <file>`: the process spec comes as a file (config.json's `process` shape). */
export function execArgv(
  global: readonly string[],
  id: string,
  processFile: string,
  pidFile: string,
  detach: boolean,
): string[] {
  return [
    ...global,
    'exec',
    '--process',
    processFile,
    '--pid-file',
    pidFile,
    ...(detach ? ['--detach'] : []),
    id,
  ];
}

/** "TERM", "SIGTERM", 15 → "SIGTERM"/"15" as the runtime CLI accepts. */
export function signalArg(signal: string | number): string {
  if (typeof signal === 'number') return String(signal);
  const s = signal.trim().toUpperCase();
  if (/^\d+$/.test(s)) return s;
  return s.startsWith('SIG') ? s : `SIG${s}`;
}

/** "container does not exist" / "not found" in a runtime's error text. */
export function isNotExist(message: string): boolean {
  return /does not exist|not found|no such file/i.test(message);
}
