import { describe, it, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testContext, type TestContext } from './container-test-context.js';

describe('docker create: the name it reserved', () => {
  let t: TestContext | undefined;
  let scratch: string | undefined;
  afterEach(async () => {
    await t?.cleanup();
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  it('is free again when the first save of the record fails', async () => {
    scratch = await mkdtemp(join(tmpdir(), 'skiff-names-'));
    // A store root that is a file: saving any record fails.
    const root = join(scratch, 'containers');
    await writeFile(root, '');
    t = await testContext({ storeRoot: root });
    await assert.rejects(t.create({ Image: 'busybox', Cmd: ['true'] }, 'web'));
    assert.equal(t.store.nameTaken('web'), undefined);
    assert.equal(t.snapshots.size, 0);
  });

  it('is free again when a later step fails, and stays taken when create succeeds', async () => {
    t = await testContext();
    await assert.rejects(
      t.create(
        {
          Image: 'busybox',
          Cmd: ['true'],
          HostConfig: { Mounts: [{ Type: 'bind', Source: '/no/such/dir', Target: '/x' }] },
        },
        'web',
      ),
      /bind source path does not exist/,
    );
    assert.equal(t.store.nameTaken('web'), undefined);
    const id = await t.create({ Image: 'busybox', Cmd: ['true'] }, 'web');
    assert.equal(t.store.nameTaken('web'), id);
  });
});
