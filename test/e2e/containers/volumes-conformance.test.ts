// Issue 10: volumes as dockerd has them — filled from the image at create (so a `docker cp`
// before the first start lands in the volume, testcontainers' create → copy → start), filled
// only once, --volumes-from, and `volume-subpath` resolved inside the volume.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TestDaemon } from '../../helpers/daemon.js';
import { docker, dockerOk } from '../../helpers/docker-cli.js';
import { daemonWithBusybox } from '../../helpers/container-fixture.js';

describe('volumes as dockerd has them', () => {
  let d: TestDaemon;
  let work: string;
  before(async () => {
    d = await daemonWithBusybox();
    work = await mkdtemp(join(d.dir, 'work-'));
    await writeFile(join(work, 'copied.txt'), 'copied before start\n');
  });
  after(async () => {
    await d.cleanup();
  });

  it('an anonymous volume is filled from the image at create, and docker cp before start writes into it', async () => {
    await dockerOk(d, [
      'create',
      '--name',
      'anon',
      '-v',
      '/etc',
      'busybox',
      'sh',
      '-c',
      'grep -c ^root: /etc/passwd && cat /etc/copied.txt',
    ]);
    await dockerOk(d, ['cp', join(work, 'copied.txt'), 'anon:/etc/copied.txt']);
    const out = await dockerOk(d, ['start', '-a', 'anon']);
    assert.equal(out, '1\ncopied before start\n');
    const mounts = JSON.parse(
      await dockerOk(d, ['inspect', '--format', '{{json .Mounts}}', 'anon']),
    ) as { Destination: string; Name: string }[];
    const vol = mounts.find((m) => m.Destination === '/etc');
    assert.ok(vol);
    // The file is in the volume itself, not in the image's directory under the mount point.
    assert.equal(
      await dockerOk(d, ['run', '--rm', '-v', `${vol.Name}:/v`, 'busybox', 'cat', '/v/copied.txt']),
      'copied before start\n',
    );
  });

  it('an empty named volume is filled from the image at create, and docker cp before start writes into it', async () => {
    await dockerOk(d, ['volume', 'create', 'named-etc']);
    await dockerOk(d, [
      'create',
      '--name',
      'named',
      '-v',
      'named-etc:/etc',
      'busybox',
      'sh',
      '-c',
      'grep -c ^root: /etc/passwd && cat /etc/copied.txt',
    ]);
    assert.match(
      await dockerOk(d, ['run', '--rm', '-v', 'named-etc:/v', 'busybox', 'ls', '/v']),
      /^passwd$/m,
    );
    await dockerOk(d, ['cp', join(work, 'copied.txt'), 'named:/etc/']);
    assert.equal(await dockerOk(d, ['start', '-a', 'named']), '1\ncopied before start\n');
  });

  it('a volume is filled only once: emptied between create and start, it stays empty', async () => {
    await dockerOk(d, ['volume', 'create', 'once']);
    await dockerOk(d, [
      'create',
      '--name',
      'once',
      '-v',
      'once:/etc',
      'busybox',
      'ls',
      '-A',
      '/etc',
    ]);
    await dockerOk(d, [
      'run',
      '--rm',
      '-v',
      'once:/v',
      'busybox',
      'sh',
      '-c',
      'rm -rf /v/* /v/.??*',
    ]);
    assert.equal(await dockerOk(d, ['start', '-a', 'once']), '');
  });

  it('nocopy leaves a new volume empty', async () => {
    const out = await dockerOk(d, [
      'run',
      '--rm',
      '-v',
      'nocopy-vol:/etc:nocopy',
      'busybox',
      'ls',
      '-A',
      '/etc',
    ]);
    // Only what the runtime mounts itself (hosts, hostname, resolv.conf) is there.
    assert.doesNotMatch(out, /passwd/);
  });

  it('--volumes-from gives the other container its volumes and binds, read-only with :ro', async () => {
    const host = join(work, 'bind');
    await mkdir(host);
    await writeFile(join(host, 'b.txt'), 'from the bind\n');
    await dockerOk(d, [
      'create',
      '--name',
      'src',
      '-v',
      '/data',
      '-v',
      `${host}:/bind`,
      'busybox',
      'true',
    ]);
    await dockerOk(d, ['cp', join(work, 'copied.txt'), 'src:/data/f']);
    assert.equal(
      await dockerOk(d, [
        'run',
        '--rm',
        '--volumes-from',
        'src',
        'busybox',
        'cat',
        '/data/f',
        '/bind/b.txt',
      ]),
      'copied before start\nfrom the bind\n',
    );
    await dockerOk(d, [
      'run',
      '--rm',
      '--volumes-from',
      'src:rw',
      'busybox',
      'sh',
      '-c',
      'echo w > /data/w',
    ]);
    const ro = await docker(d, [
      'run',
      '--rm',
      '--volumes-from',
      'src:ro',
      'busybox',
      'sh',
      '-c',
      'cat /data/w && touch /data/x',
    ]);
    assert.notEqual(ro.code, 0);
    assert.equal(ro.stdout, 'w\n');
    assert.match(ro.stderr, /Read-only file system/);
    const inspect = JSON.parse(
      await dockerOk(d, [
        'inspect',
        '--format',
        '{{json .Mounts}}',
        (await dockerOk(d, ['create', '--volumes-from', 'src:ro', 'busybox'])).trim(),
      ]),
    ) as { Destination: string; RW: boolean }[];
    assert.deepEqual(inspect.map((m) => [m.Destination, m.RW]).sort(), [
      ['/bind', false],
      ['/data', false],
    ]);
    const missing = await docker(d, ['create', '--volumes-from', 'no-such-box', 'busybox']);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /No such container: no-such-box/);
  });

  it('volume-subpath mounts that subdirectory; a missing one or a symlink is refused', async () => {
    await dockerOk(d, [
      'run',
      '--rm',
      '-v',
      'subvol:/v',
      'busybox',
      'sh',
      '-c',
      'mkdir /v/sub && echo in-sub > /v/sub/f && echo top > /v/top && ln -s / /v/escape && ln -s sub /v/alias',
    ]);
    const mount = (sub: string): string => `type=volume,src=subvol,dst=/d,volume-subpath=${sub}`;
    assert.equal(
      await dockerOk(d, ['run', '--rm', '--mount', mount('sub'), 'busybox', 'ls', '/d']),
      'f\n',
    );
    const missing = await docker(d, ['run', '--rm', '--mount', mount('nope'), 'busybox', 'true']);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /cannot access path nope/);
    for (const link of ['escape', 'alias']) {
      const r = await docker(d, ['run', '--rm', '--mount', mount(link), 'busybox', 'ls', '/d']);
      assert.notEqual(r.code, 0, r.stdout);
      assert.match(r.stderr, new RegExp(`cannot access path ${link}`));
    }
    const up = await docker(d, ['create', '--mount', mount('../x'), 'busybox']);
    assert.notEqual(up.code, 0);
    assert.match(up.stderr, /subpath must be a relative path within the volume/);
    const anon = await docker(d, [
      'create',
      '--mount',
      'type=volume,dst=/d,volume-subpath=sub',
      'busybox',
    ]);
    assert.notEqual(anon.code, 0);
    assert.match(anon.stderr, /must not set Subpath when using anonymous volumes/);
    const inspect = await dockerOk(d, [
      'inspect',
      '--format',
      '{{json .HostConfig.Mounts}}',
      (await dockerOk(d, ['create', '--mount', mount('sub'), 'busybox'])).trim(),
    ]);
    assert.match(inspect, /"Subpath":"sub"/);
  });
});
