// docker update on a running container: the new limits go to the runtime at once (runc/crun
// `update --resources -`), as with dockerd, where the container has a cgroup of its own.
import { describe, it, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { updateContainer } from '../../../../src/daemon/containers/prune-and-update.js';
import { testContext, type TestContext } from './container-test-context.js';

describe('docker update applies limits live', () => {
  let t: TestContext;
  beforeEach(async () => {
    t = await testContext();
  });
  afterEach(async () => {
    await t.cleanup();
  });

  const taskOf = (id: string) => t.runner.task(id);

  it('a running container gets the merged limits; the zeros the CLI sends keep the others', async () => {
    const id = await t.create({ Image: 'busybox', HostConfig: { Memory: 64 * 1024 * 1024 } }, 'up');
    await t.runner.start(id);
    await updateContainer(t.ctx, id, { resources: { cpuShares: 512, memory: 0 } }, taskOf);
    const task = t.runtime.tasks[0];
    assert.deepEqual(task?.updated, {
      memory: { limit: 64 * 1024 * 1024 },
      cpu: { shares: 512 },
    });
    assert.equal(t.store.get(id)?.hostConfig.resources.cpuShares, 512);
  });

  it('a stopped container only stores them; an update of nothing reaches no runtime', async () => {
    const id = await t.create({ Image: 'busybox' }, 'stopped');
    await updateContainer(t.ctx, id, { resources: { memory: 32 * 1024 * 1024 } }, taskOf);
    assert.equal(t.store.get(id)?.hostConfig.resources.memory, 32 * 1024 * 1024);
    await t.runner.start(id);
    await updateContainer(
      t.ctx,
      id,
      { restartPolicy: { name: 'always', maximumRetryCount: 0 } },
      taskOf,
    );
    assert.equal(t.runtime.tasks[0]?.updated, undefined);
  });

  it('a runtime that refuses leaves the stored limits as they were', async () => {
    const id = await t.create({ Image: 'busybox' }, 'refused');
    await t.runner.start(id);
    const task = t.runtime.tasks[0];
    assert.ok(task);
    task.update = () => Promise.reject(new Error('runc: cannot set memory limit'));
    await assert.rejects(
      updateContainer(t.ctx, id, { resources: { memory: 16 * 1024 * 1024 } }, taskOf),
      /Cannot update container .*: runc: cannot set memory limit/,
    );
    assert.equal(t.store.get(id)?.hostConfig.resources.memory, 0);
  });
});
