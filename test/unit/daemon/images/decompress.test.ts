// Issue 8 C: a zstd layer's consumer that stops early (a refused entry, an abort) must not
// leave the zstd child running and the input stalled; a zstd that cannot start is an error of
// the stream, not an uncaught exception.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { access, readdir, readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { decompress } from '../../../../src/daemon/images/decompress.js';
import { compress } from '../../../helpers/image-builder.js';

const ZSTD = '/usr/bin/zstd';
const hasZstd = await access(ZSTD).then(
  () => true,
  () => false,
);

/** Fails instead of hanging: a stall is the defect these tests look for. */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new Error(`${what}: still waiting after ${ms} ms (stalled)`));
    }, ms);
  });
  return Promise.race([p, timeout]).finally(() => {
    clearTimeout(timer);
  });
}

/** The command names of this process's live (non-zombie) children. */
async function liveChildren(): Promise<string[]> {
  const pids: string[] = [];
  for (const tid of await readdir('/proc/self/task')) {
    const list = await readFile(`/proc/self/task/${tid}/children`, 'utf8').catch(() => '');
    pids.push(...list.split(' ').filter((p) => p.length > 0));
  }
  const out: string[] = [];
  for (const pid of pids) {
    const st = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
    const m = /^\d+ \((.*)\) (\S)/.exec(st);
    if (m?.[1] && m[2] !== 'Z') out.push(m[1]);
  }
  return out;
}

async function untilNoZstdChild(): Promise<void> {
  for (;;) {
    if (!(await liveChildren()).includes('zstd')) return;
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Resolves on the stream's 'close' event (its `closed` flag is set before the event comes). */
function closeEvent(s: Readable): Promise<void> {
  return new Promise((resolve) =>
    s.once('close', () => {
      resolve();
    }),
  );
}

/** A stream of `data` in 64 KiB pieces. */
function chunked(data: Buffer): Readable {
  const parts: Buffer[] = [];
  for (let i = 0; i < data.length; i += 64 * 1024) parts.push(data.subarray(i, i + 64 * 1024));
  return Readable.from(parts, { objectMode: false });
}

describe('decompress', () => {
  // Incompressible, so that zstd's output fills every pipe and buffer on the way out.
  const raw = randomBytes(8 * 1024 * 1024);

  it(
    'zstd: a consumer that stops early kills zstd and unpipes the input, which can drain',
    {
      skip: !hasZstd && `${ZSTD} is not installed`,
    },
    async () => {
      const input = chunked(compress(raw, 'zstd'));
      const out = decompress(input, 'zstd', ZSTD);
      const outClosed = closeEvent(out);
      let got = 0;
      for await (const chunk of out) {
        got += (chunk as Buffer).length;
        break; // the consumer stops: the iterator destroys `out`, as a refused tar entry does
      }
      assert.ok(got > 0);
      await outClosed;
      // What the pull does with a layer's tee after a refused entry: drain the rest of it.
      const ended = new Promise<void>((resolve, reject) => {
        input.once('end', resolve);
        input.once('error', reject);
      });
      input.resume();
      await within(ended, 30_000, 'draining the input of a stopped zstd');
      await within(untilNoZstdChild(), 30_000, 'zstd exiting');
    },
  );

  it(
    'zstd: the whole stream comes out unchanged',
    {
      skip: !hasZstd && `${ZSTD} is not installed`,
    },
    async () => {
      const chunks: Buffer[] = [];
      for await (const c of decompress(chunked(compress(raw, 'zstd')), 'zstd', ZSTD))
        chunks.push(c as Buffer);
      assert.ok(Buffer.concat(chunks).equals(raw));
    },
  );

  it(
    "zstd: corrupt data fails the stream with zstd's complaint",
    {
      skip: !hasZstd && `${ZSTD} is not installed`,
    },
    async () => {
      const out = decompress(Readable.from([Buffer.from('not zstd at all')]), 'zstd', ZSTD);
      await assert.rejects(async () => {
        for await (const _ of out) {
          // drain
        }
      }, /^InvalidArgumentError: zstd: /);
    },
  );

  it('zstd that cannot start fails the stream instead of crashing the process', async () => {
    const out = decompress(chunked(raw.subarray(0, 1024)), 'zstd', '/nonexistent/zstd');
    await assert.rejects(
      async () => {
        for await (const _ of out) {
          // drain
        }
      },
      { kind: 'unavailable', message: /zstd: spawn \/nonexistent\/zstd ENOENT/ },
    );
  });

  it('gzip: a consumer that stops early unpipes the input, which can drain', async () => {
    const input = chunked(gzipSync(raw, { level: 1 }));
    const out = decompress(input, 'gzip', undefined);
    const outClosed = closeEvent(out);
    for await (const _ of out) break;
    await outClosed;
    const ended = new Promise<void>((resolve) => input.once('end', resolve));
    input.resume();
    await within(ended, 30_000, 'draining the input of a stopped gunzip');
  });
});
