/**
 * The one place that spawns child processes (STYLE R5): no shell, absolute paths, bounded
 * output, AbortSignal, typed errors.
 */
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import type { Command } from './command.js';
import { ProcessError } from './process-error.js';

export interface RunOptions {
  readonly signal?: AbortSignal;
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  /** Output beyond this many bytes (per stream) is dropped; default 16 MiB. */
  readonly maxOutputBytes?: number;
  /** Kill the child after this many milliseconds. */
  readonly timeoutMs?: number;
}

export interface RunResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

const DEFAULT_MAX_OUTPUT = 16 * 1024 * 1024;

/** Runs `bin cmd.argv`, throws ProcessError unless it exits 0, returns the parsed stdout. */
export async function run<T>(bin: string, cmd: Command<T>, opts: RunOptions = {}): Promise<T> {
  const r = await spawnCollect(bin, cmd.argv, { ...opts, input: cmd.input });
  if (r.code !== 0) throw new ProcessError(bin, cmd.argv, r.code, r.signal, r.stderr);
  return cmd.parse(r.stdout);
}

/** Runs a child to completion and collects bounded stdout/stderr; never throws for exit codes. */
export function spawnCollect(
  bin: string,
  argv: readonly string[],
  opts: RunOptions & { input?: string | Buffer | undefined } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const max = opts.maxOutputBytes ?? DEFAULT_MAX_OUTPUT;
    const child = spawn(bin, argv, {
      stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      env: opts.env ?? process.env,
      cwd: opts.cwd,
      signal: opts.signal,
      timeout: opts.timeoutMs,
    });
    const out = collector(max);
    const err = collector(max);
    child.stdout?.on('data', out.push);
    child.stderr?.on('data', err.push);
    child.on('error', (e) => {
      reject(new ProcessError(bin, argv, null, null, e.message));
    });
    child.on('close', (code, signal) => {
      resolve({ code, signal, stdout: out.text(), stderr: err.text() });
    });
    if (opts.input !== undefined && child.stdin) {
      child.stdin.on('error', () => undefined); // the child may exit without reading it all
      child.stdin.end(opts.input);
    }
  });
}

function collector(max: number): { push: (b: Buffer) => void; text: () => string } {
  const chunks: Buffer[] = [];
  let size = 0;
  return {
    push: (b: Buffer) => {
      if (size >= max) return;
      const part = size + b.length > max ? b.subarray(0, max - size) : b;
      chunks.push(part);
      size += part.length;
    },
    text: () => Buffer.concat(chunks).toString('utf8'),
  };
}

export interface SpawnOptions {
  readonly stdio?: StdioOptions;
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  /** Start the child in its own session, so that it outlives us (setsid). */
  readonly detached?: boolean;
  readonly signal?: AbortSignal;
  readonly argv0?: string;
}

/**
 * Starts a long-lived child (a monitor, a stream filter) and hands it to the caller, who owns its
 * lifetime. Failing to start surfaces as the child's 'error' event, as in Node.
 */
export function spawnChild(
  bin: string,
  argv: readonly string[],
  opts: SpawnOptions = {},
): ChildProcess {
  return spawn(bin, argv, {
    stdio: opts.stdio ?? ['ignore', 'pipe', 'pipe'],
    env: opts.env ?? process.env,
    cwd: opts.cwd,
    detached: opts.detached ?? false,
    signal: opts.signal,
    argv0: opts.argv0,
  });
}

export type { ChildProcess };
