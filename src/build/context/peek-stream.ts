/** Looking at the first bytes of a stream (magic numbers, a tar header) without losing them. */
import { Readable } from 'node:stream';

export interface Peeked {
  /** Up to `n` bytes; fewer only when the stream ended first. */
  readonly head: Buffer;
  /** The whole stream again, `head` included. */
  readonly stream: Readable;
}

export async function peekStream(input: Readable, n: number): Promise<Peeked> {
  const it = input[Symbol.asyncIterator]() as AsyncIterator<Buffer | string>;
  const chunks: Buffer[] = [];
  let size = 0;
  let ended = false;
  while (size < n) {
    const r = await it.next();
    if (r.done === true) {
      ended = true;
      break;
    }
    const b = typeof r.value === 'string' ? Buffer.from(r.value) : r.value;
    chunks.push(b);
    size += b.length;
  }
  const all = Buffer.concat(chunks);
  async function* rest(): AsyncGenerator<Buffer> {
    try {
      if (all.length > 0) yield all;
      while (!ended) {
        const r = await it.next();
        if (r.done === true) return;
        yield typeof r.value === 'string' ? Buffer.from(r.value) : r.value;
      }
    } finally {
      // A consumer that stops early must not leave the input (a request body) half-read and open.
      if (!ended) await it.return?.();
    }
  }
  return { head: all.subarray(0, n), stream: Readable.from(rest(), { objectMode: false }) };
}
