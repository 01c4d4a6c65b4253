/** Layer decompression by media type: gzip in-process, zstd through the zstd binary, tar as is. */
import { PassThrough, type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { InvalidArgumentError, UnavailableError } from '../../errors.js';
import { spawnChild } from '../../proc/run.js';
import type { Compression } from '../../image/media-types.js';

/** A decompressor's complaint is one line; more is noise and must not grow without bound. */
const MAX_STDERR = 4096;

/**
 * The decompressed bytes of `input`. The returned stream fails when `input` fails or the data
 * is corrupt. When the consumer destroys it before its end (a refused entry, an abort), a zstd
 * child is killed and, by the time the stream emits 'close', `input` is unpiped and paused: the
 * caller decides whether to drain or destroy it. Nothing keeps waiting on a consumer that is gone.
 */
export function decompress(input: Readable, c: Compression, zstd: string | undefined): Readable {
  switch (c) {
    case 'none':
      return input;
    case 'gzip':
      return gunzipStream(input);
    case 'zstd': {
      if (!zstd)
        throw new UnavailableError(
          'this layer is zstd-compressed: install zstd (apt-get install zstd)',
        );
      return zstdDecompress(input, zstd);
    }
  }
}

/** `input` gunzipped in-process; a failing input fails the result. */
export function gunzipStream(input: Readable): Readable {
  const gunzip = createGunzip();
  input.on('error', (e) => gunzip.destroy(e));
  // pipe() unpipes by itself when gunzip closes.
  return input.pipe(gunzip);
}

function zstdDecompress(input: Readable, zstd: string): Readable {
  return decompressThroughChild(input, zstd, 'zstd', 'zstd');
}

/**
 * `input` decompressed by `bin -d -c -q` (zstd, xz, bzip2). The consumer may be gone before the
 * child finished (a refused entry, an abort): otherwise the child blocks on a full stdout, stops
 * reading stdin, and `input` (a download's tee) stalls for good (issue 8). Done in destroy itself,
 * so that the input is unpiped before the destroyer goes on. A failure names `what`.
 */
export function decompressThroughChild(
  input: Readable,
  bin: string,
  name: string,
  what: string,
): Readable {
  const child = spawnChild(bin, ['-d', '-c', '-q'], { stdio: ['pipe', 'pipe', 'pipe'] });
  const { stdin, stdout, stderr } = child;
  const out = new PassThrough({
    destroy(error, cb) {
      if (child.exitCode === null && child.signalCode === null) {
        if (stdin) input.unpipe(stdin);
        stdout?.unpipe(out);
        stdin?.destroy();
        child.kill('SIGKILL');
      }
      cb(error);
    },
  });
  if (!stdin || !stdout || !stderr) {
    out.destroy(new UnavailableError(`${name}: no pipes to the child`));
    return out;
  }
  let err = '';
  stderr.on('data', (b: Buffer) => {
    if (err.length < MAX_STDERR) err += b.toString();
  });
  // EPIPE when the child exits before reading everything: its exit status says why.
  stdin.on('error', () => undefined);
  // Failing to start (EMFILE, EAGAIN, a removed binary) is an 'error' event, not an exception.
  child.on('error', (e) =>
    out.destroy(new UnavailableError(`${name}: ${e.message}`, { cause: e })),
  );
  input.on('error', (e) => out.destroy(e));
  input.pipe(stdin);
  stdout.pipe(out, { end: false });
  child.on('close', (code, signal) => {
    if (code === 0) out.end();
    else
      out.destroy(
        new InvalidArgumentError(
          `${what}: ${err.trim() || `exit status ${code ?? signal ?? '?'}`}`,
        ),
      );
  });
  return out;
}
