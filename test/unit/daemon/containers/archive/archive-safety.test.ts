import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, readFile, rm, symlink, writeFile, access } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { rawTar } from '../../../../helpers/raw-tar.js';
import { resolveInRoot } from '../../../../../src/daemon/containers/archive/resolve-in-root.js';
import { extractInto } from '../../../../../src/daemon/containers/archive/extract-into.js';
import { packPath } from '../../../../../src/daemon/containers/archive/pack-path.js';

describe('paths inside a container root', () => {
  let root: string;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'skiff-root-'));
    await mkdir(join(root, 'etc'));
    await writeFile(join(root, 'etc', 'passwd'), 'container');
    await symlink('/etc', join(root, 'abs'));
    await symlink('../../../../..', join(root, 'up'));
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('absolute symlinks and .. resolve inside the root', async () => {
    assert.equal(await resolveInRoot(root, '/abs/passwd'), join(root, 'etc', 'passwd'));
    assert.equal(await resolveInRoot(root, '/up/etc/passwd'), join(root, 'etc', 'passwd'));
    assert.equal(await resolveInRoot(root, '/../../etc'), join(root, 'etc'));
    assert.equal(await resolveInRoot(root, '/abs', false), join(root, 'abs'));
  });

  it('extraction refuses .. and writing through a symlink, and writes nothing outside', async () => {
    const dest = join(root, 'dest');
    await mkdir(dest);
    await assert.rejects(
      extractInto(dest, Readable.from(await rawTar([{ name: '../escape', body: 'x' }])), {
        noOverwriteDirNonDir: false,
      }),
      /leaves the destination/,
    );
    await assert.rejects(
      extractInto(
        dest,
        Readable.from(
          await rawTar([
            { name: 'l', type: 'symlink', linkname: '/tmp' },
            { name: 'l/owned', body: 'x' },
          ]),
        ),
        { noOverwriteDirNonDir: false },
      ),
      /through the symlink/,
    );
    await assert.rejects(access(join(tmpdir(), 'owned')));
  });

  it('extracts files and directories, and pack → extract round-trips', async () => {
    const dest = join(root, 'dest2');
    await mkdir(dest);
    await extractInto(
      dest,
      Readable.from(
        await rawTar([
          { name: 'd', type: 'directory' },
          { name: 'd/f', body: 'hello' },
        ]),
      ),
      { noOverwriteDirNonDir: false },
    );
    assert.equal(await readFile(join(dest, 'd', 'f'), 'utf8'), 'hello');
    const again = join(root, 'dest3');
    await mkdir(again);
    await extractInto(again, packPath(join(dest, 'd'), { name: 'd' }), {
      noOverwriteDirNonDir: false,
    });
    assert.equal(await readFile(join(again, 'd', 'f'), 'utf8'), 'hello');
  });
});
