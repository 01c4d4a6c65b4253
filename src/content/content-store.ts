/**
 * The content store (containerd's shape, STYLE §1): blobs by digest under
 * `<dataRoot>/content/blobs/sha256/<hex>`, written through an ingest file that is verified
 * (size and digest) and renamed into place — a blob either exists whole and correct or not at
 * all. Interrupted ingests are cleaned at start.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { finished, Writable, type Readable } from 'node:stream';
import { InvalidArgumentError, NotFoundError, isNotFound } from '../errors.js';
import { fsyncDir } from '../store/atomic-file.js';

export interface BlobInfo {
  readonly digest: string;
  readonly size: number;
}

export interface BlobProvider {
  open(digest: string): Promise<Readable>;
  stat(digest: string): Promise<BlobInfo | undefined>;
  readAll(digest: string, limit: number): Promise<Buffer>;
}

export interface BlobWriter {
  /**
   * Write the blob's bytes here (hashed as they pass). It fails (and stops taking bytes) when
   * the ingest file cannot be written (ENOSPC, EIO...) or when more bytes arrive than the
   * writer's expected size.
   */
  readonly stream: Writable;
  /**
   * Verifies size (when known) and digest, then makes the blob visible. On any failure,
   * including one of the stream, the ingest file is gone when it rejects.
   */
  commit(expectedSize: number | undefined, expectedDigest: string | undefined): Promise<BlobInfo>;
  /** Stops the stream and removes the ingest file. */
  abort(): Promise<void>;
}

/** What a blob is declared to be (its descriptor): the writer refuses to store more. */
export interface ExpectedBlob {
  readonly digest: string;
  readonly size: number;
}

export interface BlobIngester {
  /**
   * A writer into a new ingest file. With `expected`, a write that would take the blob past
   * `expected.size` fails at once, before it reaches the disk: a registry that sends more than
   * its descriptor declares cannot fill the disk (containerd's writer refuses the same way).
   */
  writer(expected?: ExpectedBlob): Promise<BlobWriter>;
}

export interface ContentStore extends BlobProvider, BlobIngester {
  delete(digest: string): Promise<void>;
  walk(fn: (info: BlobInfo) => void | Promise<void>): Promise<void>;
  /** Writes a small blob (manifests, configs) in one call. */
  put(data: Buffer, expectedDigest?: string): Promise<BlobInfo>;
}

const HEX = /^sha256:([a-f0-9]{64})$/;

/** The error of a blob that brings more bytes than its descriptor declares. */
export function blobTooLarge(expected: ExpectedBlob, got: number): InvalidArgumentError {
  return new InvalidArgumentError(
    `blob ${expected.digest} is larger than its descriptor's ${expected.size} bytes: refused after ${got} bytes`,
  );
}

export class FileContentStore implements ContentStore {
  private constructor(private readonly root: string) {}

  static async open(root: string): Promise<FileContentStore> {
    await mkdir(join(root, 'blobs', 'sha256'), { recursive: true, mode: 0o700 });
    await rm(join(root, 'ingest'), { recursive: true, force: true });
    await mkdir(join(root, 'ingest'), { recursive: true, mode: 0o700 });
    return new FileContentStore(root);
  }

  path(digest: string): string {
    const m = HEX.exec(digest);
    if (!m?.[1]) throw new InvalidArgumentError(`invalid digest: ${digest}`);
    return join(this.root, 'blobs', 'sha256', m[1]);
  }

  async open(digest: string): Promise<Readable> {
    const p = this.path(digest);
    await stat(p).catch((e: unknown) => {
      throw isNotFound(e) ? new NotFoundError(`content ${digest}: not found`) : e;
    });
    return createReadStream(p);
  }

  async stat(digest: string): Promise<BlobInfo | undefined> {
    const st = await stat(this.path(digest)).catch(() => undefined);
    return st ? { digest, size: st.size } : undefined;
  }

  async readAll(digest: string, limit: number): Promise<Buffer> {
    const info = await this.stat(digest);
    if (!info) throw new NotFoundError(`content ${digest}: not found`);
    if (info.size > limit)
      throw new InvalidArgumentError(`content ${digest} is larger than ${limit} bytes`);
    return readFile(this.path(digest));
  }

  writer(expected?: ExpectedBlob): Promise<BlobWriter> {
    const tmp = join(this.root, 'ingest', randomBytes(12).toString('hex'));
    const hash = createHash('sha256');
    let size = 0;
    const file = createWriteStream(tmp, { mode: 0o644 });
    const stream = new Writable({
      write(chunk: Buffer, _enc, cb) {
        if (expected && size + chunk.length > expected.size) {
          cb(blobTooLarge(expected, size + chunk.length));
          return;
        }
        hash.update(chunk);
        size += chunk.length;
        if (file.write(chunk)) cb();
        else
          file.once('drain', () => {
            cb();
          });
      },
      final(cb) {
        file.end();
        finished(file, (err) => {
          cb(err);
        });
      },
      destroy(err, cb) {
        file.destroy();
        cb(err);
      },
    });
    // Without this listener a failed write (ENOSPC, EMFILE, EIO) is an uncaught exception that
    // takes the whole daemon down (issue 8): the error goes to whoever writes the blob instead.
    file.on('error', (e) => stream.destroy(e));
    const removeIngest = async (): Promise<void> => {
      stream.destroy();
      await closed(file);
      await rm(tmp, { force: true });
    };
    return Promise.resolve({
      stream,
      commit: async (expectedSize, expectedDigest) => {
        let digest: string;
        try {
          if (!stream.writableFinished) {
            stream.end();
            await settled(stream);
          }
          digest = `sha256:${hash.digest('hex')}`;
          if (expectedSize !== undefined && size !== expectedSize)
            throw new InvalidArgumentError(
              `size mismatch for ${expectedDigest ?? digest}: expected ${expectedSize} bytes, got ${size}`,
            );
          if (expectedDigest !== undefined && digest !== expectedDigest)
            throw new InvalidArgumentError(
              `digest mismatch: expected ${expectedDigest}, got ${digest}`,
            );
          await rename(tmp, this.path(digest));
          await fsyncDir(join(this.root, 'blobs', 'sha256'));
        } catch (e) {
          await removeIngest();
          throw e;
        }
        return { digest, size };
      },
      abort: removeIngest,
    });
  }

  async put(data: Buffer, expectedDigest?: string): Promise<BlobInfo> {
    const w = await this.writer();
    w.stream.end(data);
    return w.commit(data.length, expectedDigest);
  }

  async delete(digest: string): Promise<void> {
    await rm(this.path(digest), { force: true });
  }

  async walk(fn: (info: BlobInfo) => void | Promise<void>): Promise<void> {
    for (const hex of await readdir(join(this.root, 'blobs', 'sha256'))) {
      const st = await stat(join(this.root, 'blobs', 'sha256', hex)).catch(() => undefined);
      if (st) await fn({ digest: `sha256:${hex}`, size: st.size });
    }
  }
}

/** Resolves when the stream has finished and closed; rejects with its error. */
function settled(w: Writable): Promise<void> {
  return new Promise((resolve, reject) => {
    finished(w, (err) => {
      if (err) reject(err);
      else resolve();
    });
  });
}

/** Resolves once the file's descriptor is closed, so that removing it frees the space. */
function closed(file: WriteStream): Promise<void> {
  if (file.closed) return Promise.resolve();
  return new Promise((resolve) =>
    file.once('close', () => {
      resolve();
    }),
  );
}
