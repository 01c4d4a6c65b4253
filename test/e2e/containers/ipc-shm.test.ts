// Issue 10: --ipc shares /dev/shm with the IPC namespace, as dockerd: a shareable container's
// shm can be joined (POSIX shared memory is visible across), a private one cannot (dockerd's
// message), and the shm size of a shareable container is its own.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, rmSync } from 'node:fs';
import type { TestDaemon } from '../../helpers/daemon.js';
import { docker, dockerOk } from '../../helpers/docker-cli.js';
import { daemonWithBusybox } from '../../helpers/container-fixture.js';

describe('--ipc and /dev/shm', () => {
  let d: TestDaemon;
  before(async () => {
    d = await daemonWithBusybox();
  });
  after(async () => {
    await d.cleanup();
  });

  it('a container joining a shareable one sees its /dev/shm', async () => {
    await dockerOk(d, [
      'run',
      '-d',
      '--name',
      'donor',
      '--ipc',
      'shareable',
      'busybox',
      'sh',
      '-c',
      'echo shared-bytes > /dev/shm/seg && sleep 300',
    ]);
    try {
      let out = '';
      for (let i = 0; i < 50 && out === ''; i++) {
        const r = await docker(d, [
          'run',
          '--rm',
          '--ipc',
          'container:donor',
          'busybox',
          'cat',
          '/dev/shm/seg',
        ]);
        out = r.code === 0 ? r.stdout.trim() : '';
        if (out === '') await new Promise((res) => setTimeout(res, 100));
      }
      assert.equal(out, 'shared-bytes');
      // A private container's shm stays its own.
      const own = await dockerOk(d, ['run', '--rm', 'busybox', 'ls', '/dev/shm']);
      assert.equal(own.trim(), '');
    } finally {
      await docker(d, ['rm', '-f', 'donor']);
    }
  });

  it('joining a private container is refused with dockerd message', async () => {
    await dockerOk(d, ['run', '-d', '--name', 'private', 'busybox', 'sleep', '300']);
    try {
      const r = await docker(d, ['run', '--rm', '--ipc', 'container:private', 'busybox', 'true']);
      assert.notEqual(r.code, 0);
      assert.match(
        r.stderr,
        /non-shareable IPC \(hint: use IpcMode:shareable for the donor container\)/,
      );
    } finally {
      await docker(d, ['rm', '-f', 'private']);
    }
  });

  it('--ipc host runs, and sees the host /dev/shm', async () => {
    const probe = `skiff-ipc-host-${String(process.pid)}`;
    const out = await dockerOk(d, [
      'run',
      '--rm',
      '--ipc',
      'host',
      'busybox',
      'sh',
      '-c',
      `echo x > /dev/shm/${probe} && echo ok`,
    ]);
    assert.equal(out.trim(), 'ok');
    // skiffd's /dev/shm is the host's (its mount namespace copies the host's mounts).
    assert.equal(existsSync(`/dev/shm/${probe}`), true);
    rmSync(`/dev/shm/${probe}`, { force: true });
  });

  it('a shareable container gets the shm size it asked for', async () => {
    const out = await dockerOk(d, [
      'run',
      '--rm',
      '--ipc',
      'shareable',
      '--shm-size',
      '8m',
      'busybox',
      'df',
      '-k',
      '/dev/shm',
    ]);
    assert.match(out, /\s8192\s/);
  });
});
