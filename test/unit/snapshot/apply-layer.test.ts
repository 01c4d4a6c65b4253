import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import {
  mkdtemp,
  mkdir,
  readdir,
  readFile,
  readlink,
  rm,
  lstat,
  stat,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { gunzipSync, gzipSync } from 'node:zlib';
import { rawTar } from '../../helpers/raw-tar.js';
import {
  applyLayer,
  MissingLinkTargetError,
  type WhiteoutMode,
} from '../../../src/snapshot/apply-layer.js';
import { applyLayerNative } from '../../../src/snapshot/native-apply.js';
import type { ApplyResult } from '../../../src/snapshot/snapshotter.js';
import { silentLogger } from '../../../src/log.js';

const native = join(import.meta.dirname, '../../../native/build');
const fsops = join(native, 'skiff-fsops');
const untar = join(native, 'skiff-untar');

interface ApplyCall {
  readonly whiteouts?: WhiteoutMode;
  readonly lowerDirs?: readonly string[];
  readonly tarSplit?: string;
  readonly gzip?: boolean;
}

/** The Node extractor and skiff-untar must behave alike: every case runs against both. */
const implementations: readonly {
  name: string;
  apply: (dir: string, tar: Buffer, c?: ApplyCall) => Promise<ApplyResult>;
}[] = [
  {
    name: 'node',
    apply: (dir, tar, c = {}) =>
      applyLayer(dir, Readable.from(c.gzip ? gunzipSync(tar) : tar), {
        whiteouts: c.whiteouts ?? { kind: 'delete' },
        lowerDirs: c.lowerDirs ?? [],
        fsops,
        log: silentLogger(),
      }),
  },
  {
    name: 'skiff-untar',
    apply: (dir, tar, c = {}) =>
      applyLayerNative(dir, Readable.from(tar), {
        whiteouts: c.whiteouts ?? { kind: 'delete' },
        lowerDirs: c.lowerDirs ?? [],
        untar,
        log: silentLogger(),
        ...(c.gzip ? { compression: 'gzip' as const } : {}),
        ...(c.tarSplit !== undefined ? { tarSplit: c.tarSplit } : {}),
      }),
  },
];

for (const impl of implementations) {
  const apply = impl.apply;

  describe(`applyLayer (${impl.name}): the layer root is never replaced`, () => {
    let base: string;
    let home: string;
    before(async () => {
      base = await mkdtemp(join(tmpdir(), 'skiff-apply-'));
      home = await mkdtemp(join(tmpdir(), 'skiff-victim-home-'));
      await writeFile(join(home, '.bashrc'), "the user's own");
    });
    after(async () => {
      await rm(base, { recursive: true, force: true });
      await rm(home, { recursive: true, force: true });
    });

    for (const rootName of ['./', '.', '/', '']) {
      it(`a root entry "${rootName}" that is a symlink is refused and the snapshot stays a directory`, async () => {
        const dir = join(base, `snap-${rootName.length}-${rootName.charCodeAt(0) || 0}`);
        await mkdir(dir);
        const tar = await rawTar([
          { name: rootName === '' ? './' : rootName, type: 'symlink', linkname: home },
          { name: '.bashrc', body: 'owned' },
          { name: '.wh.keep', body: '' },
        ]);
        await assert.rejects(apply(dir, tar), /layer root/);
        assert.ok((await lstat(dir)).isDirectory());
        assert.equal(await readFile(join(home, '.bashrc'), 'utf8'), "the user's own");
        assert.deepEqual(await readdir(home), ['.bashrc']);
      });
    }

    it('a hardlink or a file naming the root is refused too', async () => {
      const dir = join(base, 'snap-link');
      await mkdir(dir);
      await assert.rejects(apply(dir, await rawTar([{ name: './', body: 'x' }])), /layer root/);
      assert.ok((await lstat(dir)).isDirectory());
    });

    it('a directory entry for the root and ordinary entries apply', async () => {
      const dir = join(base, 'snap-ok');
      await mkdir(dir);
      const r = await apply(
        dir,
        await rawTar([
          { name: './', type: 'directory' },
          { name: 'etc/', type: 'directory' },
          { name: 'etc/hostname', body: 'box' },
        ]),
      );
      assert.match(r.diffId, /^sha256:[0-9a-f]{64}$/);
      assert.equal(await readFile(join(dir, 'etc', 'hostname'), 'utf8'), 'box');
    });
  });

  describe(`applyLayer (${impl.name}): confinement and layer semantics`, () => {
    let base: string;
    before(async () => {
      base = await mkdtemp(join(tmpdir(), 'skiff-apply-sem-'));
    });
    after(async () => {
      await rm(base, { recursive: true, force: true });
    });
    const fresh = async (name: string): Promise<string> => {
      const dir = join(base, name);
      await mkdir(dir);
      return dir;
    };

    it('an entry through a symlink to / is refused and nothing is written outside', async () => {
      const dir = await fresh('escape');
      const outside = `/etc/skiff-escape-${process.pid}`;
      const tar = await rawTar([
        { name: 'a', type: 'symlink', linkname: '/' },
        { name: `a${outside}`, body: 'escaped' },
      ]);
      await assert.rejects(
        apply(dir, tar),
        (e: unknown) =>
          e instanceof Error &&
          e.message === `refusing layer entry "a${outside}": it goes through the symlink "a"`,
      );
      assert.equal(existsSync(outside), false);
    });

    it('a `..` name is refused with the entry named', async () => {
      const dir = await fresh('dotdot');
      await assert.rejects(
        apply(dir, await rawTar([{ name: '../x', body: 'no' }])),
        /refusing layer entry "\.\.\/x": it would leave the layer/,
      );
    });

    it('modes incl. setuid, mtimes of files and directories, symlinks and hardlinks', async () => {
      const dir = await fresh('meta');
      const old = new Date('2001-02-03T04:05:06Z');
      const r = await apply(
        dir,
        await rawTar([
          { name: 'bin/', type: 'directory', mode: 0o750, mtime: old },
          { name: 'bin/su', body: 'su', mode: 0o4755, mtime: old },
          { name: 'bin/sh', type: 'symlink', linkname: 'su' },
          { name: 'bin/su2', type: 'link', linkname: 'bin/su', mode: 0o4755, mtime: old },
        ]),
      );
      const su = await stat(join(dir, 'bin/su'));
      assert.equal(su.mode & 0o7777, 0o4755);
      assert.equal(su.mtime.getTime(), old.getTime());
      assert.equal(su.nlink, 2);
      assert.equal((await stat(join(dir, 'bin/su2'))).ino, su.ino);
      assert.equal(await readlink(join(dir, 'bin/sh')), 'su');
      const bin = await stat(join(dir, 'bin'));
      assert.equal(bin.mode & 0o7777, 0o750);
      assert.equal(bin.mtime.getTime(), old.getTime(), 'directory mtime set after its children');
      assert.match(r.diffId, /^sha256:[0-9a-f]{64}$/);
    });

    it('diffId and size are those of the tar as read (gzip input too)', async () => {
      const tar = await rawTar([{ name: 'f', body: 'content' }]);
      const want = `sha256:${createHash('sha256').update(tar).digest('hex')}`;
      const plain = await apply(await fresh('hash-plain'), tar);
      assert.equal(plain.diffId, want);
      assert.equal(plain.size, tar.length);
      const gz = await apply(await fresh('hash-gz'), gzipSync(tar), { gzip: true });
      assert.equal(gz.diffId, want);
      assert.equal(gz.size, tar.length);
    });

    it('delete-mode whiteouts: a whiteout and an opaque directory remove what lower layers had', async () => {
      const dir = await fresh('wh');
      await mkdir(join(dir, 'etc'));
      await writeFile(join(dir, 'etc', 'old'), 'lower');
      await writeFile(join(dir, 'gone'), 'lower');
      await apply(
        dir,
        await rawTar([
          { name: 'etc/new', body: 'this layer' },
          { name: 'etc/.wh..wh..opq', body: '' },
          { name: '.wh.gone', body: '' },
        ]),
      );
      assert.deepEqual(await readdir(join(dir, 'etc')), ['new']);
      assert.equal(existsSync(join(dir, 'gone')), false);
    });

    it('overlay-mode whiteouts become char 0:0 nodes', async () => {
      const dir = await fresh('wh-overlay');
      await apply(dir, await rawTar([{ name: 'd/.wh.x', body: '' }]), {
        whiteouts: { kind: 'overlay', opaqueXattr: 'user.overlay.opaque' },
      });
      const st = await lstat(join(dir, 'd', 'x'));
      assert.ok(st.isCharacterDevice());
      assert.equal(st.rdev, 0);
    });

    it('a hardlink to a file of a lower layer is copied; to nothing, MissingLinkTargetError', async () => {
      const lower = await fresh('lower');
      await mkdir(join(lower, 'usr'));
      await writeFile(join(lower, 'usr', 'lib'), 'from below');
      const dir = await fresh('upper');
      await apply(dir, await rawTar([{ name: 'lib2', type: 'link', linkname: 'usr/lib' }]), {
        lowerDirs: [lower],
      });
      assert.equal(await readFile(join(dir, 'lib2'), 'utf8'), 'from below');
      assert.equal((await stat(join(lower, 'usr', 'lib'))).nlink, 1);
      await assert.rejects(
        apply(
          await fresh('nolower'),
          await rawTar([{ name: 'x', type: 'link', linkname: 'nope' }]),
        ),
        (e: unknown) => e instanceof MissingLinkTargetError && e.target === 'nope',
      );
    });

    it("the input's own failure is what the apply reports", async () => {
      const tar = await rawTar([{ name: 'f', body: 'x'.repeat(100_000) }]);
      const failing = new PassThrough();
      failing.write(tar.subarray(0, 1024));
      setTimeout(() => failing.destroy(new Error('download cut off')), 50);
      const dir = await fresh('input-fails');
      await assert.rejects(
        impl.name === 'node'
          ? applyLayer(dir, failing, {
              whiteouts: { kind: 'delete' },
              lowerDirs: [],
              fsops,
              log: silentLogger(),
            })
          : applyLayerNative(dir, failing, {
              whiteouts: { kind: 'delete' },
              lowerDirs: [],
              untar,
              log: silentLogger(),
            }),
        /download cut off/,
      );
    });

    it('a broken tar is an invalid tar archive', async () => {
      const tar = await rawTar([{ name: 'f', body: 'x' }]);
      tar[10] = 0x41;
      await assert.rejects(apply(await fresh('broken'), tar), /invalid tar archive/);
    });
  });
}

describe('skiff-untar: abort', () => {
  it('an abort kills the helper and rejects with an AbortError', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'skiff-abort-'));
    try {
      const stalled = new PassThrough();
      stalled.write((await rawTar([{ name: 'f', body: 'x'.repeat(100_000) }])).subarray(0, 2048));
      const ac = new AbortController();
      setTimeout(() => {
        ac.abort();
      }, 50);
      await assert.rejects(
        applyLayerNative(dir, stalled, {
          whiteouts: { kind: 'delete' },
          lowerDirs: [],
          untar,
          log: silentLogger(),
          signal: ac.signal,
        }),
        { name: 'AbortError' },
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

/** The tar rebuilt from a tar-split file and the unpacked directory (the reassembler's job). */
async function rebuild(splitPath: string, dir: string): Promise<Buffer> {
  const data = gunzipSync(await readFile(splitPath));
  const parts: Buffer[] = [];
  let pos = 0;
  while (pos < data.length) {
    const kind = String.fromCharCode(data[pos] ?? 0);
    if (kind === 'R') {
      const n = data.readUInt32LE(pos + 1);
      assert.ok(n <= 1024 * 1024, 'raw records are at most 1 MiB');
      parts.push(data.subarray(pos + 5, pos + 5 + n));
      pos += 5 + n;
    } else if (kind === 'F') {
      const size = Number(data.readBigUInt64LE(pos + 1));
      const plen = data.readUInt32LE(pos + 9);
      const path = data.subarray(pos + 13, pos + 13 + plen).toString();
      const content = await readFile(join(dir, path));
      parts.push(content.subarray(0, size));
      pos += 13 + plen;
    } else assert.fail(`unknown record ${kind} at ${pos}`);
  }
  return Buffer.concat(parts);
}

describe('skiff-untar: tar-split', () => {
  let base: string;
  before(async () => {
    base = await mkdtemp(join(tmpdir(), 'skiff-split-'));
  });
  after(async () => {
    await rm(base, { recursive: true, force: true });
  });
  const run = async (
    name: string,
    tar: Buffer,
    gzip = false,
  ): Promise<{ r: ApplyResult; dir: string; split: string }> => {
    const dir = join(base, name, 'fs');
    await mkdir(dir, { recursive: true });
    const split = join(base, name, 'tar-split.gz');
    const r = await applyLayerNative(dir, Readable.from(gzip ? gzipSync(tar) : tar), {
      whiteouts: { kind: 'overlay', opaqueXattr: 'user.overlay.opaque' },
      lowerDirs: [],
      untar,
      log: silentLogger(),
      tarSplit: split,
      ...(gzip ? { compression: 'gzip' as const } : {}),
    });
    return { r, dir, split };
  };

  it('the records and the files rebuild the tar byte for byte', async () => {
    const tar = await rawTar([
      { name: 'etc/', type: 'directory' },
      { name: 'etc/hostname', body: 'box\n' },
      { name: 'etc/empty', body: '' },
      { name: `usr/${'long-name-'.repeat(20)}`, body: 'a long path: a pax header' },
      { name: 'usr/big', body: 'x'.repeat(1536 * 1024 + 7) },
      { name: 'usr/link', type: 'link', linkname: 'etc/hostname' },
      { name: 'usr/sym', type: 'symlink', linkname: '../etc/hostname' },
      { name: 'usr/.wh.gone', body: '' },
    ]);
    const { r, dir, split } = await run('complete', tar, true);
    assert.equal(r.splitComplete, true);
    const rebuilt = await rebuild(split, dir);
    assert.equal(`sha256:${createHash('sha256').update(rebuilt).digest('hex')}`, r.diffId);
    assert.ok(rebuilt.equals(tar));
  });

  it('a tar that writes one path twice makes it incomplete', async () => {
    const tar = await rawTar([
      { name: 'f', body: 'first version' },
      { name: 'f', body: 'second' },
    ]);
    const { r, dir, split } = await run('dup', tar);
    assert.equal(r.splitComplete, false);
    assert.equal(await readFile(join(dir, 'f'), 'utf8'), 'second');
    const rebuilt = await rebuild(split, dir);
    assert.notEqual(`sha256:${createHash('sha256').update(rebuilt).digest('hex')}`, r.diffId);
  });

  it('a whiteout of a file the same tar wrote makes it incomplete', async () => {
    const tar = await rawTar([
      { name: 'd/f', body: 'soon gone' },
      { name: 'd/.wh.f', body: '' },
    ]);
    assert.equal((await run('wh-own', tar)).r.splitComplete, false);
  });
});
