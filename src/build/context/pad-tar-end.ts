/**
 * The docker CLI's context for `-f <Dockerfile outside the context>` is a tar whose last entry
 * is neither padded to a block nor followed by the end-of-archive blocks (its tar rewriter
 * stops writing after the entry). Go's tar reader takes such a stream's end as the end of the
 * archive, so dockerd accepts it; tar-stream calls it truncated. This pads the stream as the
 * CLI should have: to a whole block, then two zero blocks (extra zero blocks after a proper end
 * are ignored by the reader).
 */
import { Transform } from 'node:stream';
import { TAR_BLOCK } from './tar-header.js';

export function padTarEnd(): Transform {
  let size = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      size += chunk.length;
      cb(null, chunk);
    },
    flush(cb) {
      const partial = size % TAR_BLOCK;
      cb(null, Buffer.alloc((partial === 0 ? 0 : TAR_BLOCK - partial) + 2 * TAR_BLOCK));
    },
  });
}
