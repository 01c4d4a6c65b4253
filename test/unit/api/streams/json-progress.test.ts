// Issue 10: load (and push) errors go into the JSON stream as dockerd writes them, even before
// the first message; raw `stream` lines keep their order with the progress messages.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidArgumentError } from '../../../../src/errors.js';
import {
  errorsInStream,
  progressStream,
  streamLine,
} from '../../../../src/api/streams/json-progress.js';

async function collect(it: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const l of it) out.push(l);
  return out;
}

describe('errorsInStream', () => {
  it('turns an error before the first line into an errorDetail line', async () => {
    const lines = await collect(
      errorsInStream(
        progressStream(() => Promise.reject(new InvalidArgumentError('not an image archive'))),
      ),
    );
    assert.deepEqual(
      lines.map((l) => JSON.parse(l) as unknown),
      [{ errorDetail: { message: 'not an image archive' }, error: 'not an image archive' }],
    );
  });

  it('keeps the lines sent before the error', async () => {
    const lines = await collect(
      errorsInStream(
        progressStream(async (_sink, raw) => {
          raw(streamLine('Loaded image: a:1\n'));
          await Promise.resolve();
          throw new Error('second image broken');
        }),
      ),
    );
    assert.deepEqual(
      lines.map((l) => JSON.parse(l) as unknown),
      [
        { stream: 'Loaded image: a:1\n' },
        { errorDetail: { message: 'second image broken' }, error: 'second image broken' },
      ],
    );
  });

  it('a plain progressStream still throws (pull: an error before output is a status)', async () => {
    await assert.rejects(
      collect(progressStream(() => Promise.reject(new InvalidArgumentError('nope')))),
      /nope/,
    );
  });
});
