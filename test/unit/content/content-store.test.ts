// Issue 8: the content store's writer never lets a write error escape as an uncaught exception,
// never stores more than a blob's descriptor declares, and leaves no ingest file after a failure.
import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, createHash } from 'node:crypto';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { FileContentStore } from '../../../src/content/content-store.js';

const digestOf = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** A registry body that sends `total` bytes in `chunk`-sized pieces and counts what was read. */
function fakeBody(total: number, chunk = 64 * 1024): { body: Readable; produced: () => number } {
  let produced = 0;
  const body = new Readable({
    read() {
      if (produced >= total) {
        this.push(null);
        return;
      }
      const n = Math.min(chunk, total - produced);
      produced += n;
      this.push(randomBytes(n));
    },
  });
  return { body, produced: () => produced };
}

describe('FileContentStore writer', () => {
  // Each test on its own store: one test's leftovers must not fail another.
  let root: string;
  let store: FileContentStore;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'skiff-content-'));
    store = await FileContentStore.open(root);
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('stops a body at its declared size instead of reading it to the end (issue 8 B)', async () => {
    const declared = 100 * 1024;
    const total = 64 * 1024 * 1024;
    const { body, produced } = fakeBody(total);
    const w = await store.writer({ digest: `sha256:${'0'.repeat(64)}`, size: declared });
    await assert.rejects(pipeline(body, w.stream), /larger than its descriptor's 102400 bytes/);
    // Refused at the first chunk past the size: only what the streams buffer was read, not 64 MiB.
    assert.ok(produced() < 1024 * 1024, `read ${produced()} bytes of a ${declared}-byte blob`);
    const [tmp] = await readdir(join(root, 'ingest'));
    if (tmp !== undefined) {
      const st = await stat(join(root, 'ingest', tmp));
      assert.ok(st.size <= declared, `ingest file holds ${st.size} bytes`);
    }
    await w.abort();
    assert.deepEqual(await readdir(join(root, 'ingest')), []);
  });

  it('accepts a body of exactly the declared size', async () => {
    const data = randomBytes(300 * 1024);
    const w = await store.writer({ digest: digestOf(data), size: data.length });
    await pipeline(Readable.from([data.subarray(0, 1000), data.subarray(1000)]), w.stream);
    const info = await w.commit(data.length, digestOf(data));
    assert.deepEqual(info, { digest: digestOf(data), size: data.length });
    assert.deepEqual(await store.readAll(info.digest, data.length), data);
  });

  it('a failing ingest file is an error of the stream, not an uncaught exception (issue 8 A)', async () => {
    // The ingest dir gone: opening the ingest file fails, as it does with EMFILE or ENOSPC.
    await rm(join(root, 'ingest'), { recursive: true });
    const w = await store.writer();
    await assert.rejects(pipeline(fakeBody(1024 * 1024).body, w.stream), { code: 'ENOENT' });
    await w.abort();
    // commit() after a failure rejects too (and with the error of the file).
    const w2 = await store.writer();
    w2.stream.write(Buffer.from('x'));
    await assert.rejects(w2.commit(undefined, undefined), { code: 'ENOENT' });
  });

  it('a commit that fails verification leaves no ingest file', async () => {
    const data = randomBytes(4096);
    const w = await store.writer();
    w.stream.end(data);
    await assert.rejects(w.commit(data.length + 1, undefined), /size mismatch/);
    await assert.rejects(
      store.put(data, `sha256:${'1'.repeat(64)}`),
      /digest mismatch: expected sha256:1{64}/,
    );
    assert.deepEqual(await readdir(join(root, 'ingest')), []);
  });
});
