import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import tar from 'tar-stream';
import { rawTar } from '../../../helpers/raw-tar.js';
import { closeFd, openRootDir } from '../../../../src/confine/confined-root.js';
import { isLocalArchive, openArchiveStream } from '../../../../src/build/context/add-archive.js';

describe('ADD local archives', () => {
  let root: string;
  let rootFd: number;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'skiff-add-archive-'));
    const t = await rawTar([{ name: 'inside.txt', body: 'from the tar' }]);
    await writeFile(join(root, 'plain.tar'), t);
    await writeFile(join(root, 'a.tar.gz'), gzipSync(t));
    await writeFile(join(root, 'a.tar.bz2'), execFileSync('bzip2', ['-c'], { input: t }));
    await writeFile(join(root, 'a.tar.xz'), execFileSync('xz', ['-c'], { input: t }));
    await writeFile(join(root, 'text.gz'), gzipSync(Buffer.from('just text, not a tar')));
    await writeFile(join(root, 'notes.txt'), 'hello');
    await writeFile(join(root, 'short'), '');
    await writeFile(join(root, 'bad.gz'), Buffer.from([0x1f, 0x8b, 0x08, 0, 1, 2, 3]));
    await mkdir(join(root, 'dir.tar'));
    await symlink('/plain.tar', join(root, 'link.tar'));
    rootFd = openRootDir(root);
  });
  after(async () => {
    closeFd(rootFd);
    await rm(root, { recursive: true, force: true });
  });

  it('recognises plain, gzip, bzip2 and xz tars', async () => {
    assert.equal(await isLocalArchive(rootFd, 'plain.tar'), 'tar');
    assert.equal(await isLocalArchive(rootFd, 'a.tar.gz'), 'gzip');
    assert.equal(await isLocalArchive(rootFd, 'a.tar.bz2'), 'bzip2');
    assert.equal(await isLocalArchive(rootFd, 'a.tar.xz'), 'xz');
    assert.equal(await isLocalArchive(rootFd, 'link.tar'), 'tar');
  });

  it('anything else is copied as it is', async () => {
    for (const f of ['text.gz', 'notes.txt', 'short', 'bad.gz', 'dir.tar', 'missing'])
      assert.equal(await isLocalArchive(rootFd, f), undefined, f);
  });

  it('opens the decompressed tar', async () => {
    for (const [f, kind] of [
      ['a.tar.gz', 'gzip'],
      ['a.tar.bz2', 'bzip2'],
      ['a.tar.xz', 'xz'],
      ['plain.tar', 'tar'],
    ] as const) {
      const ex = tar.extract();
      openArchiveStream(rootFd, f, kind).pipe(ex);
      const names: string[] = [];
      for await (const e of ex) {
        names.push(e.header.name);
        e.resume();
      }
      assert.deepEqual(names, ['inside.txt'], f);
    }
  });
});
