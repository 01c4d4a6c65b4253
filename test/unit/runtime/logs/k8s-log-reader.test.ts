import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { K8sLogReader, MAX_LINE_BYTES } from '../../../../src/runtime/logs/k8s-log-reader.js';

const rec = (stream: 'stdout' | 'stderr', tag: 'P' | 'F', text: string, s = 1): string =>
  `2026-01-01T00:00:${String(s).padStart(2, '0')}.000000000Z ${stream} ${tag} ${text}\n`;

async function readAll(path: string, o: { tail?: number } = {}): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for await (const l of new K8sLogReader().read(path, {
    follow: false,
    signal: new AbortController().signal,
    ...o,
  }))
    out.push(l.line);
  return out;
}

describe('K8sLogReader: bounded memory', () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'skiff-log-reader-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('hands out the first line before it has read the rest of the file', async () => {
    const path = join(dir, 'stream.log');
    // About 600 KiB: many reads, so the reader is far from the end at the first line.
    const lines = Array.from({ length: 10_000 }, (_, i) => rec('stdout', 'F', `line ${i}`));
    await writeFile(path, lines.join(''));
    const seen: string[] = [];
    for await (const l of new K8sLogReader().read(path, {
      follow: false,
      signal: new AbortController().signal,
    })) {
      // A reader that slurps the file first has already seen its end, and misses this record.
      if (seen.length === 0) await appendFile(path, rec('stdout', 'F', 'appended later'));
      seen.push(l.line.toString());
    }
    assert.equal(seen.length, 10_001);
    assert.equal(seen[0], 'line 0\n');
    assert.equal(seen.at(-1), 'appended later\n');
  });

  it('splits a line joined from partial records into pieces of 16 KiB', async () => {
    assert.equal(MAX_LINE_BYTES, 16 * 1024);
    const path = join(dir, 'partial.log');
    const part = 'a'.repeat(4000);
    const parts = Array.from({ length: 10 }, (_, i) => part.slice(0, 3999) + String(i % 10));
    await writeFile(
      path,
      parts.map((p) => rec('stdout', 'P', p)).join('') +
        rec('stdout', 'F', 'end') +
        rec('stderr', 'F', 'next'),
    );
    const out = await readAll(path);
    const whole = `${parts.join('')}end\n`;
    assert.deepEqual(
      out.map((b) => b.length),
      [16384, 16384, whole.length - 2 * 16384, 5],
    );
    assert.equal(Buffer.concat(out.slice(0, 3)).toString(), whole);
    assert.ok(!out[0]!.toString().endsWith('\n') && !out[1]!.toString().endsWith('\n'));
    assert.equal(out[3]!.toString(), 'next\n');
  });

  it('splits a single record longer than 16 KiB the same way', async () => {
    const path = join(dir, 'long.log');
    const text = 'b'.repeat(20_000);
    await writeFile(path, rec('stdout', 'F', text));
    const out = await readAll(path);
    assert.deepEqual(
      out.map((b) => b.length),
      [16384, 20_001 - 16384],
    );
    assert.equal(Buffer.concat(out).toString(), `${text}\n`);
  });

  it('skips a record line without an end instead of buffering it', async () => {
    const path = join(dir, 'garbage.log');
    await writeFile(
      path,
      rec('stdout', 'F', 'before') +
        'x'.repeat(3 * 1024 * 1024) +
        '\n' +
        rec('stdout', 'F', 'after'),
    );
    assert.deepEqual(
      (await readAll(path)).map((b) => b.toString()),
      ['before\n', 'after\n'],
    );
  });

  it('tail still counts records from the end', async () => {
    const path = join(dir, 'tail.log');
    await writeFile(
      path,
      rec('stdout', 'F', 'one') +
        rec('stdout', 'P', 'tw') +
        rec('stdout', 'F', 'o') +
        rec('stdout', 'F', 'three'),
    );
    assert.deepEqual(
      (await readAll(path, { tail: 3 })).map((b) => b.toString()),
      ['two\n', 'three\n'],
    );
  });
});
