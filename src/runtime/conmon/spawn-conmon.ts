/**
 * Starts conmon with its pipes (_OCI_SYNCPIPE, and for exec sessions _OCI_STARTPIPE and
 * _OCI_ATTACHPIPE) and reads the sync messages. conmon double-forks: the process we spawn exits
 * at once, the monitor lives on (outliving skiffd) with our pipe ends.
 */
import type { Readable, Writable } from 'node:stream';
import { spawnChild, type ChildProcess } from '../../proc/run.js';
import { parseSyncLine, type SyncMessage } from './conmon-args.js';

export interface ConmonProcess {
  readonly child: ChildProcess;
  /** Resolves with each sync message in order; rejects when the pipe closes first. */
  nextSync(): Promise<SyncMessage>;
  /** Resolves when conmon says its attach socket is ready (exec sessions). */
  attachReady(): Promise<void>;
  /** Lets conmon go on (exec sessions: twice — once to start, once after attaching). */
  start(): void;
  /** What conmon printed before it detached (its own errors). */
  stderr(): string;
  closePipes(): void;
}

export function spawnConmon(
  conmon: string,
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  withExecPipes: boolean,
): ConmonProcess {
  const stdio: ('ignore' | 'pipe')[] = ['ignore', 'ignore', 'pipe', 'pipe'];
  if (withExecPipes) stdio.push('pipe', 'pipe');
  const child = spawnChild(conmon, argv, {
    stdio,
    detached: true,
    env: {
      ...env,
      _OCI_SYNCPIPE: '3',
      ...(withExecPipes ? { _OCI_STARTPIPE: '4', _OCI_ATTACHPIPE: '5' } : {}),
    },
  });
  child.unref();
  let stderr = '';
  child.stderr?.on('data', (b: Buffer) => (stderr += b.toString()));
  const fds = child.stdio as unknown as readonly (Readable | Writable | null | undefined)[];
  const sync = lineReader((fds[3] ?? null) as Readable | null);
  const attach = withExecPipes ? lineReader((fds[5] ?? null) as Readable | null) : undefined;
  const startPipe = withExecPipes ? ((fds[4] ?? null) as Writable | null) : null;
  startPipe?.on('error', () => undefined);
  return {
    child,
    nextSync: async () => {
      const line = await sync.next();
      const msg = line === undefined ? undefined : parseSyncLine(line);
      if (!msg) throw new Error(stderr.trim() || 'conmon exited without reporting the container');
      return msg;
    },
    attachReady: async () => {
      if (!attach) return;
      const line = await attach.next();
      if (line === undefined)
        throw new Error(stderr.trim() || 'conmon exited before the attach socket was ready');
    },
    start: () => {
      startPipe?.write('0');
    },
    stderr: () => stderr,
    closePipes: () => {
      for (const s of child.stdio.slice(2)) (s as { destroy?: () => void } | null)?.destroy?.();
    },
  };
}

/** Newline-separated messages from a pipe, one at a time; undefined once it is closed. */
function lineReader(stream: Readable | null): { next(): Promise<string | undefined> } {
  const lines: string[] = [];
  let ended = stream === null;
  let wake: (() => void) | undefined;
  let buf = '';
  stream?.on('data', (b: Buffer) => {
    buf += b.toString();
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      lines.push(buf.slice(0, i));
      buf = buf.slice(i + 1);
    }
    wake?.();
  });
  const end = (): void => {
    ended = true;
    wake?.();
  };
  stream?.on('end', end);
  stream?.on('close', end);
  stream?.on('error', end);
  return {
    next: async () => {
      while (lines.length === 0 && !ended) await new Promise<void>((r) => (wake = r));
      return lines.shift();
    },
  };
}
