/**
 * Compression of a build context or an ADD source, detected from its first bytes as moby's
 * archive.DetectCompression does, and undone: gzip in-process, bzip2, xz and zstd through their
 * binaries (the daemon's layer decompressor knows only gzip and zstd).
 */
import type { Readable } from 'node:stream';
import { UnavailableError } from '../../errors.js';
import { decompressThroughChild, gunzipStream } from '../../daemon/images/decompress.js';
import { findBinary } from '../../proc/find-binary.js';

export type Compression = 'gzip' | 'bzip2' | 'xz' | 'zstd' | 'none';

/** Bytes enough to tell every format apart (xz's magic is the longest, 6). */
export const MAGIC_BYTES = 6;

const MAGIC: readonly { kind: Exclude<Compression, 'none'>; bytes: readonly number[] }[] = [
  { kind: 'gzip', bytes: [0x1f, 0x8b, 0x08] },
  { kind: 'bzip2', bytes: [0x42, 0x5a, 0x68] },
  { kind: 'xz', bytes: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00] },
  { kind: 'zstd', bytes: [0x28, 0xb5, 0x2f, 0xfd] },
];

export function detectCompression(head: Buffer): Compression {
  for (const m of MAGIC) if (m.bytes.every((b, i) => head[i] === b)) return m.kind;
  return 'none';
}

/**
 * The decompressed bytes of `input`. The result fails when `input` fails or the data is
 * corrupt; destroying it early kills a helper child, so nothing waits on a consumer that left.
 */
export function decompressStream(input: Readable, kind: Compression): Readable {
  switch (kind) {
    case 'none':
      return input;
    case 'gzip':
      return gunzipStream(input);
    case 'bzip2':
    case 'xz':
    case 'zstd':
      return throughBinary(input, kind);
  }
}

function throughBinary(input: Readable, kind: 'bzip2' | 'xz' | 'zstd'): Readable {
  const bin = findBinary(kind, undefined);
  if (!bin)
    throw new UnavailableError(`this archive is ${kind}-compressed: install ${kind} to read it`);
  return decompressThroughChild(input, bin, kind, `invalid ${kind} archive`);
}
