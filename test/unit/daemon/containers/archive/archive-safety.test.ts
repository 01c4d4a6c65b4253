import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import {
  mkdtemp,
  mkdir,
  readFile,
  rm,
  symlink,
  writeFile,
  access,
  lstat,
  readdir,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import tar from 'tar-stream';
import { rawTar } from '../../../../helpers/raw-tar.js';
import { extractInto } from '../../../../../src/daemon/containers/archive/extract-into.js';
import { packPath } from '../../../../../src/daemon/containers/archive/pack-path.js';
import { O_DIRECTORY, O_PATH, O_RDONLY } from '../../../../../src/confine/confined-fs.js';
import {
  closeFd,
  openInRoot,
  openRootDir,
  readSmallFileInRoot,
} from '../../../../../src/confine/confined-root.js';

const dirFd = (path: string): number => openRootDir(path);

async function names(tarStream: Readable): Promise<Map<string, string>> {
  const ex = tar.extract();
  const out = new Map<string, string>();
  tarStream.on('error', (e: Error) => {
    ex.destroy(e);
  });
  tarStream.pipe(ex);
  for await (const e of ex) {
    const chunks: Buffer[] = [];
    for await (const c of e) chunks.push(c as Buffer);
    out.set(e.header.name, Buffer.concat(chunks).toString('utf8'));
  }
  return out;
}

describe('paths inside a container root (kernel-confined)', () => {
  let root: string;
  let outside: string;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'skiff-root-'));
    outside = await mkdtemp(join(tmpdir(), 'skiff-outside-'));
    await writeFile(join(outside, 'secret'), 'host secret');
    await mkdir(join(root, 'etc'));
    await writeFile(join(root, 'etc', 'passwd'), 'container');
    await symlink('/etc', join(root, 'abs'));
    await symlink('../../../../..', join(root, 'up'));
    await symlink(outside, join(root, 'host'));
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
    await rm(outside, { recursive: true, force: true });
  });

  it('absolute symlinks and .. resolve inside the root, as in a chroot', async () => {
    const rootFd = dirFd(root);
    try {
      for (const p of ['/abs/passwd', '/up/etc/passwd', '/../../etc/passwd']) {
        const fd = openInRoot(rootFd, p, O_RDONLY);
        closeFd(fd);
      }
      assert.equal((await readSmallFileInRoot(root, '/abs/passwd', 100))?.toString(), 'container');
      // The host path the symlink names is looked up inside the root, where it does not exist.
      assert.throws(() => openInRoot(rootFd, '/host/secret', O_RDONLY), { code: 'ENOENT' });
      assert.equal(await readSmallFileInRoot(root, '/host/secret', 100), undefined);
    } finally {
      closeFd(rootFd);
    }
  });

  it('a FIFO or an over-long file is never read whole nor waited on', async () => {
    const fifo = join(root, 'etc', 'group');
    await new Promise<void>((resolve, reject) => {
      const p = spawn('mkfifo', [fifo]);
      p.on('exit', (c) => {
        if (c === 0) resolve();
        else reject(new Error(`mkfifo ${String(c)}`));
      });
    });
    assert.equal(await readSmallFileInRoot(root, '/etc/group', 100), undefined);
    await writeFile(join(root, 'etc', 'big'), Buffer.alloc(4096, 'x'));
    assert.equal((await readSmallFileInRoot(root, '/etc/big', 100))?.length, 100);
  });

  it('extraction refuses .. and writing through a symlink, and writes nothing outside', async () => {
    const dest = join(root, 'dest');
    await mkdir(dest);
    const fd = dirFd(dest);
    try {
      await assert.rejects(
        extractInto(fd, Readable.from(await rawTar([{ name: '../escape', body: 'x' }])), {
          noOverwriteDirNonDir: false,
        }),
        /leaves the destination/,
      );
      await assert.rejects(
        extractInto(
          fd,
          Readable.from(
            await rawTar([
              { name: 'l', type: 'symlink', linkname: outside },
              { name: 'l/owned', body: 'x' },
            ]),
          ),
          { noOverwriteDirNonDir: false },
        ),
        /through the symlink/,
      );
      await assert.rejects(access(join(outside, 'owned')));
    } finally {
      closeFd(fd);
    }
  });

  it('a hardlink through a planted symlink to a host file is refused', async () => {
    const dest = join(root, 'dest-link');
    await mkdir(dest);
    const fd = dirFd(dest);
    try {
      await assert.rejects(
        extractInto(
          fd,
          Readable.from(
            await rawTar([
              { name: 'l', type: 'symlink', linkname: outside },
              { name: 'stolen', type: 'link', linkname: 'l/secret' },
            ]),
          ),
          { noOverwriteDirNonDir: false },
        ),
        /invalid hardlink target/,
      );
      await assert.rejects(
        extractInto(
          fd,
          Readable.from(
            await rawTar([
              { name: 's', type: 'symlink', linkname: join(outside, 'secret') },
              { name: 'stolen2', type: 'link', linkname: 's' },
            ]),
          ),
          { noOverwriteDirNonDir: false },
        ),
        /invalid hardlink target/,
      );
      assert.deepEqual((await readdir(dest)).sort(), ['l', 's']);
      assert.equal((await lstat(join(outside, 'secret'))).nlink, 1);
    } finally {
      closeFd(fd);
    }
  });

  it('extracts files and directories, and pack → extract round-trips', async () => {
    const dest = join(root, 'dest2');
    await mkdir(dest);
    const fd = dirFd(dest);
    await extractInto(
      fd,
      Readable.from(
        await rawTar([
          { name: 'd', type: 'directory' },
          { name: 'd/f', body: 'hello' },
          { name: 'd/h', type: 'link', linkname: 'd/f' },
          { name: 'd/s', type: 'symlink', linkname: '/etc/passwd' },
        ]),
      ),
      { noOverwriteDirNonDir: false },
    );
    closeFd(fd);
    assert.equal(await readFile(join(dest, 'd', 'f'), 'utf8'), 'hello');
    assert.equal((await lstat(join(dest, 'd', 'h'))).nlink, 2);
    const again = join(root, 'dest3');
    await mkdir(again);
    const src = dirFd(dest);
    const dst = dirFd(again);
    await extractInto(dst, packPath(src, 'd', { name: 'd' }), { noOverwriteDirNonDir: false });
    closeFd(src);
    closeFd(dst);
    assert.equal(await readFile(join(again, 'd', 'f'), 'utf8'), 'hello');
    assert.equal((await lstat(join(again, 'd', 's'))).isSymbolicLink(), true);
  });

  it('packing sends a symlink as a symlink and never reads through it', async () => {
    const fd = dirFd(root);
    const entries = await names(packPath(fd, 'host', { name: 'host' }));
    closeFd(fd);
    assert.deepEqual([...entries.keys()], ['host']);
    const all = await names(packPath(dirFd(root), '', { name: '' }));
    assert.ok(![...all.values()].includes('host secret'));
  });

  it('a directory swapped for a symlink to the host while packing: 1,000 tries, no host file', async () => {
    const arena = join(root, 'arena');
    await mkdir(join(arena, 'd'), { recursive: true });
    await writeFile(join(arena, 'd', 'mine'), 'container file');
    // A separate process swaps d and a symlink to the host directory as fast as it can.
    const swapper = spawn(
      process.execPath,
      [
        '-e',
        `const fs=require('fs');const a=${JSON.stringify(arena)};
         try{fs.symlinkSync(${JSON.stringify(outside)},a+'/evil')}catch{}
         for(;;){try{fs.renameSync(a+'/d',a+'/d.x');fs.renameSync(a+'/evil',a+'/d');
           fs.renameSync(a+'/d',a+'/evil');fs.renameSync(a+'/d.x',a+'/d')}catch{}}`,
      ],
      { stdio: 'ignore' },
    );
    try {
      const rootFd = dirFd(arena);
      let leaked = 0;
      for (let i = 0; i < 1000; i++) {
        let dir: number;
        try {
          dir = openInRoot(rootFd, '/', O_PATH | O_DIRECTORY);
        } catch {
          continue;
        }
        const entries = await names(packPath(dir, '', { name: '' })).catch(
          () => new Map<string, string>(),
        );
        closeFd(dir);
        if ([...entries.values()].includes('host secret')) leaked++;
        const into = (() => {
          try {
            return openInRoot(rootFd, '/d', O_PATH | O_DIRECTORY);
          } catch {
            return undefined;
          }
        })();
        if (into === undefined) continue;
        await extractInto(into, Readable.from(await rawTar([{ name: 'w', body: 'x' }])), {
          noOverwriteDirNonDir: false,
        }).catch(() => undefined);
        closeFd(into);
      }
      closeFd(rootFd);
      assert.equal(leaked, 0, 'a host file was packed');
      assert.deepEqual(await readdir(outside), ['secret'], 'a file was written on the host');
    } finally {
      const gone = new Promise((r) => swapper.once('exit', r));
      swapper.kill('SIGKILL');
      await gone;
    }
  });
});
