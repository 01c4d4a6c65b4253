/**
 * A layer's tar rebuilt byte for byte from its tar-split and its unpacked files, so that a pulled
 * layer does not keep its compressed blob beside the unpacked copy (issue 12: the blob made an
 * image take 1.4× its unpacked size). dockerd keeps the same kind of record (tar-split) for the
 * same reason; `docker push` and `docker save` read the layer through here when the blob is gone.
 *
 * The record (`tar-split.gz` in the snapshot's directory, written by native/skiff-untar.c while
 * it unpacks) is, gunzipped, a sequence of:
 *   'R' u32le N, N bytes          tar bytes as they were: headers, long names, padding, the end
 *   'F' u64le S u32le P, P bytes  the next S tar bytes are the content of that file (a path
 *                                  relative to the snapshot's fs directory)
 * Files are opened below the layer directory through real directories only (src/confine/), so a
 * record cannot make skiffd read outside it; the result must hash to the layer's DiffID or the
 * stream fails.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { fstat as fstatCb } from 'node:fs';
import { promisify } from 'node:util';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { O_NONBLOCK, O_RDONLY } from '../confine/confined-fs.js';
import { closeFd, exactChunks, openBeneath, openRootDir } from '../confine/confined-root.js';
import { InvalidArgumentError } from '../errors.js';

const fstat = promisify(fstatCb);

export const TAR_SPLIT_FILE = 'tar-split.gz';

/** A raw record's bytes are read in pieces of at most this, whatever N says. */
const RAW_PIECE = 1024 * 1024;

export type TarSplitRecord =
  | { readonly kind: 'raw'; readonly bytes: Buffer }
  | { readonly kind: 'file'; readonly path: string; readonly size: number };

/** Reads exact byte counts from a stream of chunks. */
class ByteReader {
  private buf: Buffer = Buffer.alloc(0);
  private done = false;

  constructor(private readonly source: AsyncIterator<Buffer>) {}

  /** Up to `max` bytes, at least 1; undefined at the end. */
  async some(max: number): Promise<Buffer | undefined> {
    if (this.buf.length === 0 && !(await this.fill())) return undefined;
    const n = Math.min(max, this.buf.length);
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(n);
    return out;
  }

  /** Exactly `n` bytes; fails on a premature end. */
  async exact(n: number): Promise<Buffer> {
    while (this.buf.length < n) if (!(await this.fill())) throw truncated();
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(n);
    return out;
  }

  async atEnd(): Promise<boolean> {
    return this.buf.length === 0 && !(await this.fill());
  }

  private async fill(): Promise<boolean> {
    if (this.done) return false;
    const r = await this.source.next();
    if (r.done) {
      this.done = true;
      return false;
    }
    this.buf = this.buf.length === 0 ? r.value : Buffer.concat([this.buf, r.value]);
    return true;
  }
}

function truncated(): InvalidArgumentError {
  return new InvalidArgumentError('tar-split record is truncated');
}

/** The records of a (gunzipped) tar-split stream; raw records come in pieces of ≤ 1 MiB. */
export async function* tarSplitRecords(
  chunks: AsyncIterable<Buffer>,
): AsyncGenerator<TarSplitRecord> {
  const r = new ByteReader(chunks[Symbol.asyncIterator]());
  while (!(await r.atEnd())) {
    const tag = (await r.exact(1))[0];
    if (tag === 0x52) {
      let left = (await r.exact(4)).readUInt32LE(0);
      while (left > 0) {
        const piece = await r.some(Math.min(left, RAW_PIECE));
        if (!piece) throw truncated();
        left -= piece.length;
        // The reader's buffer is reused: hand out a copy the consumer may keep.
        yield { kind: 'raw', bytes: Buffer.from(piece) };
      }
    } else if (tag === 0x46) {
      const head = await r.exact(12);
      const size = Number(head.readBigUInt64LE(0));
      const path = (await r.exact(head.readUInt32LE(8))).toString('utf8');
      if (path === '' || path.startsWith('/') || path.split('/').includes('..'))
        throw new InvalidArgumentError(`tar-split record names an invalid path "${path}"`);
      yield { kind: 'file', path, size };
    } else throw new InvalidArgumentError(`tar-split record has an unknown tag ${String(tag)}`);
  }
}

/**
 * The layer tar rebuilt from `splitFile` and the files below `layerDir`. Fails (as a stream
 * error) when a file is missing, changed size, or the whole does not hash to `diffId`.
 */
export function rebuildLayerTar(splitFile: string, layerDir: string, diffId: string): Readable {
  return Readable.from(rebuild(splitFile, layerDir, diffId), { objectMode: false });
}

async function* rebuild(
  splitFile: string,
  layerDir: string,
  diffId: string,
): AsyncGenerator<Buffer> {
  const hash = createHash('sha256');
  const input = createReadStream(splitFile).pipe(createGunzip());
  const root = openRootDir(layerDir);
  try {
    for await (const rec of tarSplitRecords(input)) {
      if (rec.kind === 'raw') {
        hash.update(rec.bytes);
        yield rec.bytes;
        continue;
      }
      const fd = openBeneath(root, rec.path, O_RDONLY | O_NONBLOCK);
      try {
        const st = await fstat(fd);
        if (!st.isFile() || st.size !== rec.size)
          throw new InvalidArgumentError(
            `layer cannot be rebuilt: "${rec.path}" is no longer the file it unpacked (${String(st.size)} bytes, expected ${String(rec.size)})`,
          );
        for await (const b of exactChunks(fd, rec.size)) {
          hash.update(b);
          yield b;
        }
      } finally {
        closeFd(fd);
      }
    }
  } finally {
    input.destroy();
    closeFd(root);
  }
  const got = `sha256:${hash.digest('hex')}`;
  if (got !== diffId)
    throw new InvalidArgumentError(
      `layer cannot be rebuilt: its tar-split gives ${got}, expected ${diffId}`,
    );
}
