import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, readdir, readFile, rm, lstat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { rawTar } from '../../helpers/raw-tar.js';
import { applyLayer } from '../../../src/snapshot/apply-layer.js';
import { silentLogger } from '../../../src/log.js';

const fsops = join(import.meta.dirname, '../../../native/build/skiff-fsops');

describe('applyLayer: the layer root is never replaced', () => {
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

  const apply = (dir: string, tar: Buffer): ReturnType<typeof applyLayer> =>
    applyLayer(dir, Readable.from(tar), {
      whiteouts: { kind: 'delete' },
      lowerDirs: [],
      fsops,
      log: silentLogger(),
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
