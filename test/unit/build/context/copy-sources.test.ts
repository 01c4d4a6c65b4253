import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  chmod,
  link,
  mkdir,
  mkdtemp,
  rm,
  stat,
  symlink,
  utimes,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import tar from 'tar-stream';
import { closeFd, openRootDir } from '../../../../src/confine/confined-root.js';
import {
  type CopyOwnership,
  checksumSources,
  matchSources,
  packSources,
} from '../../../../src/build/context/copy-sources.js';

interface Unpacked {
  readonly header: tar.Header;
  readonly body: string;
}

async function unpack(stream: Readable): Promise<Map<string, Unpacked>> {
  const ex = tar.extract();
  stream.on('error', (e: Error) => {
    ex.destroy(e);
  });
  stream.pipe(ex);
  const out = new Map<string, Unpacked>();
  for await (const e of ex) {
    const chunks: Buffer[] = [];
    for await (const c of e) chunks.push(c as Buffer);
    out.set(e.header.name, { header: e.header, body: Buffer.concat(chunks).toString('utf8') });
  }
  return out;
}

async function withRoot<T>(path: string, fn: (fd: number) => Promise<T> | T): Promise<T> {
  const fd = openRootDir(path);
  try {
    return await fn(fd);
  } finally {
    closeFd(fd);
  }
}

const owner = { uid: 1234, gid: 5678 };

describe('matchSources', () => {
  let root: string;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'skiff-copy-match-'));
    await mkdir(join(root, 'dir/sub'), { recursive: true });
    await mkdir(join(root, 'etc'));
    for (const f of [
      'a.txt',
      'b.txt',
      'c.txt',
      'x.md',
      'dir/one',
      'dir/two.txt',
      'dir/sub/deep',
      'etc/passwd',
    ])
      await writeFile(join(root, f), f);
    await symlink('/etc', join(root, 'abs-etc'));
    await symlink('dir', join(root, 'linkdir'));
  });
  after(() => rm(root, { recursive: true, force: true }));

  it('matches *.txt, dir/* and [ab].txt per path component, sorted', () =>
    withRoot(root, (fd) => {
      assert.deepEqual(matchSources(fd, '*.txt'), ['a.txt', 'b.txt', 'c.txt']);
      assert.deepEqual(matchSources(fd, 'dir/*'), ['dir/one', 'dir/sub', 'dir/two.txt']);
      assert.deepEqual(matchSources(fd, '[ab].txt'), ['a.txt', 'b.txt']);
      assert.deepEqual(matchSources(fd, '/d?r/*.txt'), ['dir/two.txt']);
      // Wildcards do not descend through a symlinked directory (moby walks with lstat).
      assert.throws(() => matchSources(fd, 'link*/one'), /no source files were specified/);
    }));

  it('a plain path must exist; its symlinks are followed inside the root', () =>
    withRoot(root, (fd) => {
      assert.deepEqual(matchSources(fd, './dir/one'), ['dir/one']);
      assert.deepEqual(matchSources(fd, '/linkdir/one'), ['linkdir/one']);
      assert.deepEqual(matchSources(fd, '.'), ['.']);
      assert.deepEqual(matchSources(fd, 'abs-etc/passwd'), ['abs-etc/passwd']);
      assert.throws(() => matchSources(fd, 'abs-etc/shadow'), {
        message:
          'COPY failed: file not found in build context or excluded by .dockerignore: stat abs-etc/shadow: file does not exist',
      });
    }));

  it('no match: dockerd classic-builder messages', () =>
    withRoot(root, (fd) => {
      assert.throws(() => matchSources(fd, '*.none'), {
        kind: 'invalid-argument',
        message: 'COPY failed: no source files were specified',
      });
      assert.throws(() => matchSources(fd, 'missing', 'ADD'), {
        message:
          'ADD failed: file not found in build context or excluded by .dockerignore: stat missing: file does not exist',
      });
    }));
});

describe('packSources', () => {
  let root: string;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'skiff-copy-pack-'));
    await mkdir(join(root, 'src/inner'), { recursive: true });
    await mkdir(join(root, 'etc'));
    await writeFile(join(root, 'etc/hostname'), 'context etc');
    await writeFile(join(root, 'src/f.txt'), 'hello');
    await writeFile(join(root, 'src/inner/g.sh'), '#!/bin/sh');
    await chmod(join(root, 'src/inner/g.sh'), 0o755);
    await link(join(root, 'src/f.txt'), join(root, 'src/hard'));
    await symlink('/etc/hostname', join(root, 'src/abs-link'));
    await symlink('/etc', join(root, 'etclink'));
    await utimes(join(root, 'src/f.txt'), new Date(1_000_000_000_000), new Date(1_000_000_000_000));
  });
  after(() => rm(root, { recursive: true, force: true }));

  it("packs a directory's contents under destName with the owner set, links kept", async () => {
    const entries = await withRoot(root, (fd) =>
      unpack(packSources(fd, [{ rel: 'src', destName: 'app' }], owner)),
    );
    assert.deepEqual([...entries.keys()].sort(), [
      'app/',
      'app/abs-link',
      'app/f.txt',
      'app/hard',
      'app/inner/',
      'app/inner/g.sh',
    ]);
    for (const e of entries.values()) {
      assert.equal(e.header.uid, 1234);
      assert.equal(e.header.gid, 5678);
    }
    assert.equal(entries.get('app/f.txt')?.body, 'hello');
    assert.equal(entries.get('app/f.txt')?.header.mtime?.getTime(), 1_000_000_000_000);
    assert.equal(entries.get('app/inner/g.sh')?.header.mode, 0o755);
    // A symlink below a source is not followed.
    assert.equal(entries.get('app/abs-link')?.header.type, 'symlink');
    assert.equal(entries.get('app/abs-link')?.header.linkname, '/etc/hostname');
    assert.equal(entries.get('app/hard')?.header.type, 'link');
    assert.equal(entries.get('app/hard')?.header.linkname, 'app/f.txt');
  });

  it('chmod replaces the mode of files and directories; "" puts contents at the top', async () => {
    const entries = await withRoot(root, (fd) =>
      unpack(packSources(fd, [{ rel: 'src', destName: '' }], { ...owner, chmod: 0o640 })),
    );
    assert.equal(entries.has('/'), false);
    assert.equal(entries.get('f.txt')?.header.mode, 0o640);
    assert.equal(entries.get('inner/')?.header.mode, 0o640);
    assert.equal(entries.get('inner/g.sh')?.header.mode, 0o640);
  });

  it("a symlinked source resolves inside the root: a link to /etc is the context's /etc", async () => {
    const entries = await withRoot(root, (fd) =>
      unpack(packSources(fd, [{ rel: 'etclink/hostname', destName: 'h' }], owner)),
    );
    assert.equal(entries.get('h')?.body, 'context etc');
    await withRoot(root, async (fd) => {
      // The host's /etc/passwd surely exists; inside this root it does not.
      await assert.rejects(
        unpack(packSources(fd, [{ rel: 'etclink/passwd', destName: 'p' }], owner)),
        /file does not exist/,
      );
    });
  });
});

describe('checksumSources', () => {
  const make = async (mtime: number): Promise<string> => {
    const dir = await mkdtemp(join(tmpdir(), 'skiff-copy-sum-'));
    await mkdir(join(dir, 'tree/sub'), { recursive: true });
    await writeFile(join(dir, 'tree/a'), 'alpha');
    await writeFile(join(dir, 'tree/sub/b'), 'beta');
    await symlink('a', join(dir, 'tree/l'));
    for (const p of ['tree/a', 'tree/sub/b', 'tree/sub', 'tree'])
      await utimes(join(dir, p), new Date(mtime), new Date(mtime));
    return dir;
  };
  const sum = (dir: string, o: CopyOwnership = owner): Promise<string> =>
    withRoot(dir, (fd) => checksumSources(fd, [{ rel: 'tree', destName: 'dst' }], o));

  it('ignores times, sees content, mode, names and ownership', async () => {
    const one = await make(1_000_000_000_000);
    const two = await make(1_600_000_000_000);
    try {
      const base = await sum(one);
      assert.match(base, /^sha256:[0-9a-f]{64}$/);
      assert.equal(await sum(two), base);
      assert.notEqual(await sum(one, { ...owner, uid: 1 }), base);
      assert.notEqual(await sum(one, { ...owner, chmod: 0o600 }), base);

      await writeFile(join(two, 'tree/sub/b'), 'betA');
      assert.notEqual(await sum(two), base);
      await writeFile(join(two, 'tree/sub/b'), 'beta');
      assert.equal(await sum(two), base);

      const mode = (await stat(join(two, 'tree/a'))).mode & 0o7777;
      await chmod(join(two, 'tree/a'), mode ^ 0o100);
      assert.notEqual(await sum(two), base);
      await chmod(join(two, 'tree/a'), mode);
      assert.equal(await sum(two), base);

      await rm(join(two, 'tree/sub/b'));
      await writeFile(join(two, 'tree/sub/c'), 'beta');
      assert.notEqual(await sum(two), base);
    } finally {
      await rm(one, { recursive: true, force: true });
      await rm(two, { recursive: true, force: true });
    }
  });
});
