/**
 * What a build context upload (or a remote context's download) holds: a tar, plain or gzip,
 * bzip2, xz or zstd compressed (told apart by magic bytes, as moby's DetectCompression does), is
 * indexed, never extracted (indexed-context.ts); anything else is the Dockerfile itself
 * (`docker build - < Dockerfile`).
 */
import type { Readable } from 'node:stream';
import { InvalidArgumentError } from '../../errors.js';
import { decompressStream, detectCompression, MAGIC_BYTES } from './compression.js';
import { IndexedContext } from './indexed-context.js';
import { padTarEnd } from './pad-tar-end.js';
import { peekStream } from './peek-stream.js';
import { MAX_DOCKERFILE_BYTES } from './read-dockerfile.js';
import { TAR_BLOCK, isTarHeader } from './tar-header.js';

export type Ingested =
  | { readonly kind: 'tar'; readonly index: IndexedContext }
  | { readonly kind: 'dockerfile'; readonly text: string };

/** Indexes a tar into `blobPath` (see indexed-context.ts), or returns the text that is not one. */
export async function ingestBody(input: Readable, blobPath: string): Promise<Ingested> {
  const magic = await peekStream(input, MAGIC_BYTES);
  const plain = await peekStream(
    decompressStream(magic.stream, detectCompression(magic.head)),
    TAR_BLOCK,
  );
  if (isTarHeader(plain.head) || isEndOfArchive(plain.head)) {
    const padded = plain.stream.pipe(padTarEnd());
    // pipe() does not pass errors on: a corrupt gzip must fail the extraction, not stall it.
    plain.stream.on('error', (e) => padded.destroy(e));
    return { kind: 'tar', index: await IndexedContext.ingest(padded, blobPath) };
  }
  return {
    kind: 'dockerfile',
    text: (await readAtMost(plain.stream, MAX_DOCKERFILE_BYTES)).toString('utf8'),
  };
}

/** A tar with no entries starts with the zero block that ends an archive. */
function isEndOfArchive(block: Buffer): boolean {
  return block.length === TAR_BLOCK && block.every((b) => b === 0);
}

async function readAtMost(input: Readable, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of input as AsyncIterable<Buffer>) {
    size += c.length;
    if (size > limit)
      throw new InvalidArgumentError(
        `the build context is neither a tar archive nor a Dockerfile (over ${limit} bytes of text)`,
      );
    chunks.push(c);
  }
  return Buffer.concat(chunks);
}
