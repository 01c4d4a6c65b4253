/**
 * applyLayer's work done by the native helper `skiff-untar` (native/skiff-untar.c): it parses,
 * inflates (`compression: 'gzip'`), hashes and writes the layer in one process beside Node's
 * main thread, each file's content written straight from its read buffer (issue 12: the Node
 * path spent its time in per-file libuv round trips, gunzip and GC). Same semantics and refusal
 * messages as apply-layer.ts; confinement is the kernel's (openat2 RESOLVE_IN_ROOT and *at()
 * calls, see the C file). Optionally writes a tar-split file from which the exact tar can be
 * rebuilt with the unpacked files.
 */
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { InternalError, InvalidArgumentError, archiveError } from '../errors.js';
import type { Logger } from '../log.js';
import { spawnChild } from '../proc/run.js';
import { MissingLinkTargetError, type WhiteoutMode } from './apply-layer.js';
import type { ApplyResult } from './snapshotter.js';

export interface NativeApplyOptions {
  readonly whiteouts: WhiteoutMode;
  /** Lower layers' directories, top first: hardlink targets not in this layer are copied from there. */
  readonly lowerDirs: readonly string[];
  /** Path of the skiff-untar binary. */
  readonly untar: string;
  /** The input is gzip-compressed: the helper inflates it. */
  readonly compression?: 'gzip';
  /** Where to write the tar-split (gzip file of records; see native/skiff-untar.c). */
  readonly tarSplit?: string;
  readonly log: Logger;
  readonly signal?: AbortSignal;
}

/** Exit statuses of skiff-untar (see the comment at the top of the C file). */
const EXIT_SYSTEM = 1;
const EXIT_INVALID = 2;
const EXIT_MISSING_LINK = 3;

/** Notes are per skipped node or xattr; only the tail matters once there are many. */
const MAX_STDERR = 64 * 1024;
const MAX_STDOUT = 4096;

export function untarArgv(dir: string, o: NativeApplyOptions): string[] {
  return [
    ...(o.compression === 'gzip' ? ['--gzip'] : []),
    ...(o.whiteouts.kind === 'overlay' ? ['--overlay', o.whiteouts.opaqueXattr] : []),
    ...o.lowerDirs.flatMap((d) => ['--lower', d]),
    ...(o.tarSplit !== undefined ? ['--tar-split', o.tarSplit] : []),
    dir,
  ];
}

export async function applyLayerNative(
  dir: string,
  input: Readable,
  o: NativeApplyOptions,
): Promise<ApplyResult> {
  o.signal?.throwIfAborted();
  const child = spawnChild(o.untar, untarArgv(dir, o), { stdio: ['pipe', 'pipe', 'pipe'] });
  const { stdin, stdout, stderr } = child;
  if (!stdin || !stdout || !stderr) {
    child.kill('SIGKILL');
    throw new InternalError('skiff-untar: no pipes to the child');
  }
  let out = '';
  let err = '';
  stdout.on('data', (b: Buffer) => {
    if (out.length < MAX_STDOUT) out += b.toString();
  });
  stderr.on('data', (b: Buffer) => {
    err += b.toString();
    if (err.length > MAX_STDERR) err = err.slice(-MAX_STDERR);
  });
  const onAbort = (): void => {
    child.kill('SIGKILL');
  };
  o.signal?.addEventListener('abort', onAbort, { once: true });
  const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('close', (code, signal) => {
      resolve({ code, signal });
    });
  });
  const started = new Promise<Error | undefined>((resolve) => {
    child.on('error', (e) => {
      resolve(e);
    });
    child.on('spawn', () => {
      resolve(undefined);
    });
  });
  // The input's own failure (a download cut off) wins over what the helper then says about a
  // truncated tar; a write to a helper that already exited is not the input's fault.
  const fed: { error?: unknown } = {};
  const feeding = pipeline(input, stdin).catch((e: unknown) => {
    if (!isPipeEnd(e)) {
      fed.error = e;
      child.kill('SIGKILL');
    }
  });
  void closed.then(({ code }) => {
    // A helper that stopped early never reads the rest: the pipeline must not wait on it.
    if (code !== 0) stdin.destroy();
  });
  const spawnError = await started;
  const exit = await closed;
  await feeding;
  o.signal?.removeEventListener('abort', onAbort);
  if (spawnError)
    throw new InternalError(`skiff-untar: ${spawnError.message}`, { cause: spawnError });
  if (o.signal?.aborted === true) throw abortError(o.signal);
  if ('error' in fed) throw archiveError(fed.error);
  const lines = err.split('\n').filter((l) => l.trim() !== '');
  for (const l of lines)
    if (l.startsWith('note: ')) o.log.debug({ note: l.slice(6) }, 'layer apply');
  const message = lines.filter((l) => !l.startsWith('note: ')).pop() ?? '';
  switch (exit.code) {
    case 0:
      return parseResult(out);
    case EXIT_INVALID:
      throw new InvalidArgumentError(message);
    case EXIT_MISSING_LINK: {
      const target = /^hardlink target "(.*)" not found/.exec(message)?.[1];
      if (target !== undefined) throw new MissingLinkTargetError(target);
      throw new InvalidArgumentError(message);
    }
    case EXIT_SYSTEM: {
      // "ENOSPC: write "a/b": No space left on device": an errno error as Node's fs gives it.
      const code = /^(E[A-Z0-9]+): /.exec(message)?.[1];
      throw Object.assign(new Error(`skiff-untar: ${message}`), code ? { code } : {});
    }
    case null:
    default:
      throw new InternalError(
        `skiff-untar failed (${exit.code ?? exit.signal ?? '?'}): ${message || 'no message'}`,
      );
  }
}

function isPipeEnd(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return (
    code === 'EPIPE' || code === 'ERR_STREAM_PREMATURE_CLOSE' || code === 'ERR_STREAM_DESTROYED'
  );
}

function abortError(signal: AbortSignal | undefined): Error {
  const reason: unknown = signal?.reason;
  if (reason instanceof Error && reason.name === 'AbortError') return reason;
  const e = new Error('The operation was aborted', { cause: reason });
  e.name = 'AbortError';
  return e;
}

function parseResult(stdout: string): ApplyResult {
  const v = JSON.parse(stdout) as unknown;
  if (typeof v === 'object' && v !== null) {
    const { diffId, size, splitComplete } = v as Record<string, unknown>;
    if (
      typeof diffId === 'string' &&
      /^sha256:[0-9a-f]{64}$/.test(diffId) &&
      typeof size === 'number' &&
      typeof splitComplete === 'boolean'
    )
      return { diffId, size, splitComplete };
  }
  throw new InternalError(`skiff-untar: unexpected output ${JSON.stringify(stdout.slice(0, 200))}`);
}
