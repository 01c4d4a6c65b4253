import { describe, it, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { ContainerArchive } from '../../../../../src/daemon/containers/archive/container-archive.js';
import { gate, testContext, type TestContext } from '../container-test-context.js';

describe('docker cp against docker start', () => {
  let t: TestContext;
  beforeEach(async () => {
    t = await testContext();
  });
  afterEach(async () => {
    await t.cleanup();
  });

  it('an archive operation on a container that is starting waits for the start', async () => {
    const archive = new ContainerArchive(t.ctx, t.runner);
    const id = await t.create({ Image: 'busybox', Cmd: ['sleep', '300'] }, 'box');
    t.runtime.hold = gate();
    const starting = t.runner.start(id);
    await t.runtime.entered.opened; // rootfs mounted, not running yet, the lock held
    assert.deepEqual(t.mountLog, ['unmount', 'mount']);

    // Not yet running: the archive code takes it for stopped. Unlocked, it mounted the rootfs
    // again and unmounted it when done, under the starting container, within milliseconds.
    // Locked, it cannot finish before the start does; a second is a wide margin for the former.
    const copying = archive.stat(id, '/').then(
      () => 'done',
      () => 'done',
    );
    assert.equal(await Promise.race([copying, sleep(1000, 'waiting')]), 'waiting');
    assert.deepEqual(t.mountLog, ['unmount', 'mount']);

    t.runtime.hold.open();
    assert.equal(await starting, 'started');
    await copying;
    // Once running, the container is reached through /proc: its rootfs mount stays.
    assert.deepEqual(t.mountLog, ['unmount', 'mount']);
    assert.equal(t.store.get(id)?.state.status, 'running');
  });
});
