import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import tar from 'tar-stream';
import { rebuildLayerTar, tarSplitRecords } from '../../../src/snapshot/tar-split.js';

async function collect(r: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const b of r) parts.push(b as Buffer);
  return Buffer.concat(parts);
}

const sha = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

function raw(bytes: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head[0] = 0x52;
  head.writeUInt32LE(bytes.length, 1);
  return Buffer.concat([head, bytes]);
}

function file(path: string, size: number): Buffer {
  const p = Buffer.from(path);
  const head = Buffer.alloc(13);
  head[0] = 0x46;
  head.writeBigUInt64LE(BigInt(size), 1);
  head.writeUInt32LE(p.length, 9);
  return Buffer.concat([head, p]);
}

/**
 * The tar-split skiff-untar writes, made here from a plain ustar tar: headers and padding raw,
 * regular files' contents as file records.
 */
function splitOf(t: Buffer): Buffer {
  const out: Buffer[] = [];
  let off = 0;
  while (off + 512 <= t.length) {
    const h = t.subarray(off, off + 512);
    if (h.every((b) => b === 0)) break;
    const name = h.subarray(0, 100).toString('utf8').replace(/\0.*$/s, '');
    const size = parseInt(h.subarray(124, 136).toString('ascii').replace(/\0.*$/s, '').trim(), 8);
    const type = String.fromCharCode(h[156] ?? 0);
    out.push(raw(h));
    off += 512;
    const padded = Math.ceil(size / 512) * 512;
    if (size > 0 && (type === '0' || type === '\0')) {
      out.push(file(name.replace(/\/$/, ''), size));
      out.push(raw(t.subarray(off + size, off + padded)));
    } else out.push(raw(t.subarray(off, off + padded)));
    off += padded;
  }
  out.push(raw(t.subarray(off)));
  return gzipSync(Buffer.concat(out));
}

async function makeTar(
  entries: { name: string; data?: string; type?: 'directory' | 'symlink'; linkname?: string }[],
): Promise<Buffer> {
  const pack = tar.pack();
  for (const e of entries)
    pack.entry(
      {
        name: e.name,
        type: e.type ?? 'file',
        mode: e.type === 'directory' ? 0o755 : 0o644,
        mtime: new Date(0),
        ...(e.linkname ? { linkname: e.linkname } : {}),
      },
      e.data ?? '',
    );
  pack.finalize();
  return collect(pack as unknown as Readable);
}

describe('tarSplitRecords', () => {
  it('cuts a raw record over 1 MiB into pieces and reads file records', async () => {
    const big = Buffer.alloc(1024 * 1024 + 10, 7);
    const recs = [];
    for await (const r of tarSplitRecords(
      Readable.from([Buffer.concat([raw(big), file('a/b', 3)])]),
    ))
      recs.push(r);
    assert.deepEqual(
      recs.map((r) => (r.kind === 'raw' ? r.bytes.length : `${r.path}:${r.size}`)),
      [1024 * 1024, 10, 'a/b:3'],
    );
  });

  it('refuses a truncated record, an unknown tag and a path leaving the layer', async () => {
    const all = async (b: Buffer): Promise<unknown[]> => {
      const out = [];
      for await (const r of tarSplitRecords(Readable.from([b]))) out.push(r);
      return out;
    };
    await assert.rejects(all(raw(Buffer.alloc(10)).subarray(0, 9)), /truncated/);
    await assert.rejects(all(Buffer.from([0x51, 0, 0])), /unknown tag/);
    await assert.rejects(all(file('../etc/passwd', 1)), /invalid path/);
    await assert.rejects(all(file('/etc/passwd', 1)), /invalid path/);
  });
});

describe('rebuildLayerTar', () => {
  let dir: string;
  let layer: string;
  let outside: string;
  let tarBytes: Buffer;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'skiff-split-'));
    layer = join(dir, 'fs');
    outside = join(dir, 'outside');
    await mkdir(join(layer, 'etc'), { recursive: true });
    await mkdir(outside);
    const content = 'x'.repeat(1000);
    await writeFile(join(layer, 'etc', 'hostname'), content);
    await writeFile(join(layer, 'empty'), '');
    await writeFile(join(outside, 'secret'), 'host secret');
    tarBytes = await makeTar([
      { name: 'etc/', type: 'directory' },
      { name: 'etc/hostname', data: content },
      { name: 'empty' },
      { name: 'link', type: 'symlink', linkname: 'etc/hostname' },
    ]);
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('gives back the tar byte for byte from the record and the unpacked files', async () => {
    await writeFile(join(dir, 'split.gz'), splitOf(tarBytes));
    const got = await collect(rebuildLayerTar(join(dir, 'split.gz'), layer, sha(tarBytes)));
    assert.equal(got.length, tarBytes.length);
    assert.ok(got.equals(tarBytes));
  });

  it('fails when the result does not hash to the DiffID', async () => {
    await writeFile(join(dir, 'split.gz'), splitOf(tarBytes));
    await assert.rejects(
      collect(rebuildLayerTar(join(dir, 'split.gz'), layer, `sha256:${'0'.repeat(64)}`)),
      /cannot be rebuilt: its tar-split gives sha256:[0-9a-f]{64}, expected sha256:0{64}/,
    );
  });

  it('fails when a file changed size since it was unpacked', async () => {
    const t = await makeTar([{ name: 'etc/hostname', data: 'short' }]);
    await writeFile(join(dir, 'split.gz'), splitOf(t));
    await assert.rejects(
      collect(rebuildLayerTar(join(dir, 'split.gz'), layer, sha(t))),
      /"etc\/hostname" is no longer the file it unpacked \(1000 bytes, expected 5\)/,
    );
  });

  it('never reads through a symlink out of the layer', async () => {
    await symlink(outside, join(layer, 'escape'));
    try {
      const split = gzipSync(Buffer.concat([file('escape/secret', 11)]));
      await writeFile(join(dir, 'split.gz'), split);
      await assert.rejects(
        collect(rebuildLayerTar(join(dir, 'split.gz'), layer, sha(Buffer.from('host secret')))),
        (e: unknown) =>
          (e as { code?: string }).code === 'ELOOP' || (e as { code?: string }).code === 'EXDEV',
      );
    } finally {
      await rm(join(layer, 'escape'));
    }
  });
});
