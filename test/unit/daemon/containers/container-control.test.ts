import { describe, it, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { ConflictError } from '../../../../src/errors.js';
import { ContainerControl } from '../../../../src/daemon/containers/container-control.js';
import { gate, settle, testContext, type TestContext } from './container-test-context.js';

const WEB = {
  Image: 'busybox',
  Cmd: ['httpd', '-f'],
  ExposedPorts: { '80/tcp': {} },
  HostConfig: { PortBindings: { '80/tcp': [{ HostPort: '' }] } },
};

describe('docker rm while docker start is under way', () => {
  let t: TestContext;
  let control: ContainerControl;
  beforeEach(async () => {
    t = await testContext();
    control = new ContainerControl(t.ctx, t.runner);
  });
  afterEach(async () => {
    await t.cleanup();
  });

  it('rm without force waits for the start, then refuses: 409, the container keeps running and its ports', async () => {
    const id = await t.create(WEB, 'web');
    t.runtime.hold = gate();
    const starting = t.runner.start(id);
    await t.runtime.entered.opened; // the start holds the container's lock now
    const removing = control.remove(id, { force: false, volumes: false });
    await settle();
    t.runtime.hold.open();
    assert.equal(await starting, 'started');
    await assert.rejects(removing, (e: unknown) => {
      assert.ok(e instanceof ConflictError);
      assert.match(
        e.message,
        /container is running: stop the container before removing or force remove/,
      );
      return true;
    });
    assert.equal(t.store.get(id)?.state.status, 'running');
    assert.equal(t.runtime.tasks[0]?.deleted, false);
    assert.equal(t.ports.live.size, 1);

    // rm -f kills it and releases what it published.
    await control.remove(id, { force: true, volumes: false });
    assert.equal(t.store.get(id), undefined);
    assert.equal(t.ports.live.size, 0);
    assert.equal(t.snapshots.has(id), false);
  });

  it('rm -f during a start kills the started container and leaks no port', async () => {
    const id = await t.create(WEB, 'web2');
    t.runtime.hold = gate();
    const starting = t.runner.start(id);
    await t.runtime.entered.opened;
    const removing = control.remove(id, { force: true, volumes: false });
    await settle();
    t.runtime.hold.open();
    await starting;
    await removing;
    assert.equal(t.store.get(id), undefined);
    assert.equal(t.ports.live.size, 0);
    assert.equal(t.store.nameTaken('web2'), undefined);
  });

  it('rm of a stopped container still needs no force', async () => {
    const id = await t.create({ Image: 'busybox', Cmd: ['true'] }, 'done');
    await control.remove(id, { force: false, volumes: false });
    assert.equal(t.store.get(id), undefined);
  });
});

describe('docker rename', () => {
  let t: TestContext;
  beforeEach(async () => {
    t = await testContext();
  });
  afterEach(async () => {
    await t.cleanup();
  });

  it('a rename whose save fails leaves the new name free', async () => {
    const control = new ContainerControl(t.ctx, t.runner);
    const id = await t.create({ Image: 'busybox', Cmd: ['true'] }, 'before');
    // The record's directory turns into a file: the next save fails.
    const dir = t.store.dir(id);
    await rm(dir, { recursive: true, force: true });
    await writeFile(dir, '');
    await assert.rejects(control.rename(id, 'after'));
    assert.equal(t.store.nameTaken('after'), undefined);
    assert.equal(t.store.nameTaken('before'), id);
    await rm(dir);
    await mkdir(dir);
  });
});

describe('docker kill (issue 10)', () => {
  let t: TestContext;
  let control: ContainerControl;
  beforeEach(async () => {
    t = await testContext();
    control = new ContainerControl(t.ctx, t.runner);
  });
  afterEach(async () => {
    await t.cleanup();
  });

  it('SIGKILL returns once the exit is recorded, as dockerd: inspect says exited, rm needs no force', async () => {
    const id = await t.create({ Image: 'busybox', Cmd: ['sleep', '300'] }, 'victim');
    await t.runner.start(id);
    await control.kill(id);
    assert.equal(t.store.get(id)?.state.status, 'exited');
    assert.equal(t.store.get(id)?.state.exitCode, 137);
    await control.remove(id, { force: false, volumes: false });
    assert.equal(t.store.get(id), undefined);
  });

  it('another signal returns without waiting for an exit', async () => {
    const id = await t.create({ Image: 'busybox', Cmd: ['sleep', '300'] }, 'poked');
    await t.runner.start(id);
    await control.kill(id, 'SIGUSR1');
    assert.equal(t.store.get(id)?.state.status, 'running');
  });
});
