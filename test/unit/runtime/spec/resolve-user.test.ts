import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { constants } from 'node:fs';
import { mkdir, mkdtemp, open, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  PASSWD_MAX_BYTES,
  openPasswdFile,
  resolveUser,
} from '../../../../src/runtime/spec/resolve-user.js';

const ROOT_DEFAULTS = { uid: 0, gid: 0, additionalGids: [], home: '/root' };

/** A rootfs under a fresh temp dir, with `files` written below it. */
async function makeRootfs(base: string, name: string): Promise<string> {
  const rootfs = join(base, name);
  await mkdir(join(rootfs, 'etc'), { recursive: true });
  return rootfs;
}

describe('resolveUser against a hostile rootfs', () => {
  let base = '';
  const fifos: string[] = [];

  before(async () => {
    base = await mkdtemp(join(tmpdir(), 'skiff-resolve-user-'));
  });

  after(async () => {
    // Without the fix a reader sits blocked in open(2) on each FIFO: give it a writer so the
    // test process can exit (opening for write without a reader fails with ENXIO: fine).
    for (const f of fifos) {
      const fh = await open(f, constants.O_WRONLY | constants.O_NONBLOCK).catch(() => undefined);
      await fh?.close();
    }
    await rm(base, { recursive: true, force: true });
  });

  it('reads a regular /etc/passwd and /etc/group', async () => {
    const rootfs = await makeRootfs(base, 'plain');
    await writeFile(
      join(rootfs, 'etc/passwd'),
      'root:x:0:0::/root:/bin/sh\nwww:x:33:33::/var/www:\n',
    );
    await writeFile(join(rootfs, 'etc/group'), 'www:x:33:\naudio:x:29:www\n');
    assert.deepEqual(await resolveUser(rootfs, 'www', []), {
      uid: 33,
      gid: 33,
      additionalGids: [29],
      home: '/var/www',
    });
  });

  it(
    'does not block on a FIFO /etc/passwd or /etc/group: treated as missing',
    { timeout: 10_000 },
    async () => {
      const rootfs = await makeRootfs(base, 'fifo');
      for (const f of ['etc/passwd', 'etc/group']) {
        const p = join(rootfs, f);
        execFileSync('/usr/bin/mkfifo', [p]);
        fifos.push(p);
      }
      // More lookups than libuv has threads: none may take a thread for good.
      const all = await Promise.all(Array.from({ length: 6 }, () => resolveUser(rootfs, '', [])));
      for (const u of all) assert.deepEqual(u, ROOT_DEFAULTS);
      await assert.rejects(
        resolveUser(rootfs, 'www', []),
        /unable to find user www: no matching entries in passwd file/,
      );
      await assert.rejects(
        resolveUser(rootfs, '0:staff', []),
        /unable to find group staff: no matching entries in group file/,
      );
    },
  );

  it('does not follow a symlinked /etc/passwd or /etc out of the rootfs', async () => {
    const outside = join(base, 'host-passwd');
    await writeFile(outside, 'root:x:0:0::/root:/bin/sh\nhostuser:x:4242:4242::/home/h:/bin/sh\n');
    const link = await makeRootfs(base, 'link');
    await symlink(outside, join(link, 'etc/passwd'));
    await assert.rejects(resolveUser(link, 'hostuser', []), /unable to find user hostuser/);
    assert.equal(await openPasswdFile(link, '/etc/passwd'), undefined);
    const etcLink = join(base, 'etclink');
    await mkdir(etcLink);
    await symlink(base, join(etcLink, 'etc'));
    await writeFile(join(base, 'passwd'), 'hostuser:x:4242:4242::/home/h:/bin/sh\n');
    await assert.rejects(resolveUser(etcLink, 'hostuser', []), /unable to find user hostuser/);
  });

  it('treats a directory as missing', async () => {
    const rootfs = await makeRootfs(base, 'dir');
    await mkdir(join(rootfs, 'etc/passwd'));
    assert.deepEqual(await resolveUser(rootfs, '', []), ROOT_DEFAULTS);
  });

  it('reads at most 1 MiB of a larger file, whole lines only', async () => {
    const rootfs = await makeRootfs(base, 'big');
    const early = 'early:x:1001:1001::/home/early:/bin/sh\n';
    const filler = `# ${'x'.repeat(97)}\n`;
    let head = early + filler.repeat(Math.floor((PASSWD_MAX_BYTES - early.length - 200) / 100));
    head += `#${'y'.repeat(PASSWD_MAX_BYTES - 40 - head.length - 2)}\n`;
    // The 1 MiB mark falls in the shell of "cut": its first 40 bytes parse as a whole entry,
    // which must not be taken for one.
    const cut = `cut:x:1002:1002::/home/cut:/bin/${'z'.repeat(60)}\n`;
    const late = 'late:x:1003:1003::/home/late:/bin/sh\n';
    await writeFile(join(rootfs, 'etc/passwd'), head + cut + late + filler.repeat(20_000));
    assert.equal(head.length, PASSWD_MAX_BYTES - 40);
    assert.equal((await resolveUser(rootfs, 'early', [])).uid, 1001);
    await assert.rejects(resolveUser(rootfs, 'cut', []), /unable to find user cut/);
    await assert.rejects(resolveUser(rootfs, 'late', []), /unable to find user late/);
  });

  it('gives up on a lookup that does not finish in time, as on a missing file', async () => {
    const rootfs = await makeRootfs(base, 'stuck');
    await writeFile(join(rootfs, 'etc/passwd'), 'www:x:33:33::/var/www:\n');
    const never = (): Promise<undefined> => new Promise<undefined>(() => undefined);
    assert.deepEqual(
      await resolveUser(rootfs, '', [], { open: never, timeoutMs: 20 }),
      ROOT_DEFAULTS,
    );
    await assert.rejects(
      resolveUser(rootfs, 'www', [], { open: never, timeoutMs: 20 }),
      /unable to find user www/,
    );
  });
});
