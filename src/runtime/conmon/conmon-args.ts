/**
 * conmon's command line (v2.1, API version 1), pure. conmon double-forks so that it outlives
 * skiffd (live restore), runs `<runtime> create` for containers or `<runtime> exec` for exec
 * sessions, keeps the container's stdio, writes the k8s-file log and the exit file.
 */
import type { LogTarget } from '../runtime.js';

export interface ConmonPaths {
  readonly conmonPidFile: string;
  readonly containerPidFile: string;
  readonly exitDir: string;
  readonly persistDir: string;
  /** Short directory for attach socket symlinks (unix socket paths are limited to 108 bytes). */
  readonly socketDir: string;
}

export interface ConmonCreateArgs {
  readonly id: string;
  /** Short name of the attach-socket symlink (`<socketDir>/<cuuid>` → bundle). */
  readonly cuuid: string;
  readonly name: string;
  readonly runtimePath: string;
  readonly runtimeArgs: readonly string[];
  readonly bundle: string;
  readonly paths: ConmonPaths;
  readonly tty: boolean;
  readonly stdin: boolean;
  readonly leaveStdinOpen: boolean;
  readonly log: LogTarget;
}

export function conmonCreateArgv(a: ConmonCreateArgs): string[] {
  const argv = [
    '--api-version',
    '1',
    '-c',
    a.id,
    '-u',
    a.cuuid,
    '-n',
    a.name,
    '-r',
    a.runtimePath,
    '-b',
    a.bundle,
    '-p',
    a.paths.containerPidFile,
    '-P',
    a.paths.conmonPidFile,
    '--exit-dir',
    a.paths.exitDir,
    '--persist-dir',
    a.paths.persistDir,
    '--socket-dir-path',
    a.paths.socketDir,
    '--log-level',
    'warning',
    ...logArgs(a.log),
    ...a.runtimeArgs.flatMap((r) => ['--runtime-arg', r]),
  ];
  if (a.tty) argv.push('-t');
  if (a.stdin) argv.push('-i');
  if (a.stdin && a.leaveStdinOpen) argv.push('--leave-stdin-open');
  return argv;
}

export interface ConmonExecArgs {
  readonly containerId: string;
  readonly execId: string;
  readonly runtimePath: string;
  readonly runtimeArgs: readonly string[];
  readonly bundle: string;
  readonly processSpec: string;
  readonly paths: ConmonPaths;
  readonly tty: boolean;
  readonly stdin: boolean;
}

/** An exec session with an attach socket (for TTY execs, where the runtime needs a console socket). */
export function conmonExecArgv(a: ConmonExecArgs): string[] {
  const argv = [
    '--api-version',
    '1',
    '-c',
    a.containerId,
    '-u',
    a.execId,
    '-r',
    a.runtimePath,
    '-b',
    a.bundle,
    '-p',
    a.paths.containerPidFile,
    '-P',
    a.paths.conmonPidFile,
    '--exit-dir',
    a.paths.exitDir,
    '--persist-dir',
    a.paths.persistDir,
    '--socket-dir-path',
    a.paths.socketDir,
    '--exec',
    '--exec-attach',
    '--exec-process-spec',
    a.processSpec,
    '--log-level',
    'warning',
    '-l',
    'none',
    ...a.runtimeArgs.flatMap((r) => ['--runtime-arg', r]),
  ];
  if (a.tty) argv.push('-t');
  if (a.stdin) argv.push('-i');
  return argv;
}

function logArgs(log: LogTarget): string[] {
  // conmon's own --log-size-max truncates; rotation (max-size/max-file) is done by skiff.
  return log.kind === 'file' ? ['-l', `k8s-file:${log.path}`] : ['-l', 'none'];
}

/** A sync-pipe message: `{"data": pid}` on success, `{"data": -1, "message": "..."}` on failure. */
export interface SyncMessage {
  readonly data: number;
  readonly message?: string;
}

export function parseSyncLine(line: string): SyncMessage | undefined {
  try {
    const o = JSON.parse(line) as { data?: unknown; message?: unknown };
    if (typeof o.data !== 'number') return undefined;
    return typeof o.message === 'string' ? { data: o.data, message: o.message } : { data: o.data };
  } catch {
    return undefined;
  }
}
