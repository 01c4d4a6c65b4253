/**
 * Writes a StreamReply: headers only with the first chunk (so an early error is still a clean
 * error reply), backpressure respected, aborted when the client leaves or the daemon stops.
 */
import type { ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import type { StreamReply } from '../reply.js';

export async function sendStream(
  res: ServerResponse,
  reply: StreamReply,
  headers: Record<string, string>,
  signal: AbortSignal,
): Promise<void> {
  const source: AsyncIterable<Buffer | string> = reply.body;
  const it = source[Symbol.asyncIterator]();
  // Unless headers go out eagerly, the first chunk decides between a streamed 200 and an error
  // reply: let it throw to the caller.
  const first = reply.eagerHeaders ? undefined : await it.next();
  res.writeHead(reply.status, { ...headers, 'Content-Type': reply.contentType });
  res.flushHeaders();
  if (first && !first.done) await write(res, first.value);
  if (first?.done) {
    res.end();
    return;
  }
  try {
    for (;;) {
      if (signal.aborted) break;
      const next = await it.next();
      if (next.done) break;
      await write(res, next.value);
    }
  } catch (err) {
    const line = reply.errorFor?.(err);
    if (line !== undefined && !res.destroyed) await write(res, line);
  } finally {
    await it.return?.();
    if (source instanceof Readable) source.destroy();
    res.end();
  }
}

function write(res: ServerResponse, chunk: Buffer | string): Promise<void> {
  if (res.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    if (res.write(chunk)) resolve();
    else {
      const done = (): void => {
        res.off('drain', done);
        res.off('close', done);
        resolve();
      };
      res.once('drain', done);
      res.once('close', done);
    }
  });
}
