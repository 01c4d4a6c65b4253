import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  cachedProbe,
  fileIdentity,
  filesystemIdentity,
} from '../../../../src/rootless/detect/probe-cache.js';

describe('cachedProbe: probe results reused while the binaries are unchanged', () => {
  it('probes once per key, again when the key changes or the cache is garbage', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'skiff-probe-'));
    try {
      const file = join(dir, 'runtime.json');
      let probes = 0;
      const probe = (): Promise<{ name: string }> => {
        probes++;
        return Promise.resolve({ name: 'runc' });
      };
      assert.deepEqual(await cachedProbe(file, ['a'], probe), { name: 'runc' });
      assert.deepEqual(await cachedProbe(file, ['a'], probe), { name: 'runc' });
      assert.equal(probes, 1);
      await cachedProbe(file, ['b'], probe);
      assert.equal(probes, 2);
      await writeFile(file, '{not json');
      await cachedProbe(file, ['b'], probe);
      assert.equal(probes, 3);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("a binary's identity changes with its content", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'skiff-probe-'));
    try {
      const bin = join(dir, 'runc');
      await writeFile(bin, 'v1');
      const before = await fileIdentity(bin);
      await writeFile(bin, 'version 2');
      assert.notEqual(await fileIdentity(bin), before);
      assert.equal(await fileIdentity(undefined), 'absent');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("a directory's filesystem identity is stable and tells filesystems apart", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'skiff-probe-'));
    try {
      assert.equal(await filesystemIdentity(dir), await filesystemIdentity(dir));
      assert.match(await filesystemIdentity(dir), /^\d+:\d+$/);
      // procfs is another device and another type than any directory a data root lives on.
      assert.notEqual(await filesystemIdentity('/proc'), await filesystemIdentity(dir));
      assert.equal(await filesystemIdentity(join(dir, 'absent')), '?:?');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
