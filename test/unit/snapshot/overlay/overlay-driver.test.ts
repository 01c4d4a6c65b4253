import { describe, it, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, rm, stat, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../../../../src/log.js';
import { OverlayDriver } from '../../../../src/snapshot/overlay/overlay-driver.js';

function open(root: string): Promise<OverlayDriver> {
  return OverlayDriver.create({
    root,
    flavour: 'overlay2',
    userxattr: true,
    fsops: undefined,
    untar: undefined,
    log: silentLogger(),
  });
}

describe('overlay driver: short links and shared layers', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'skiff-overlay-'));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('starts without dangling links in l/ after a crash during create', async () => {
    const d = await open(root);
    await d.prepare('base');
    await d.commit('sha256:base', 'base');
    // Killed after the link was made, before the metadata: the directory goes at start, and so
    // must its link.
    await mkdir(join(root, 'snapshots', 'halfmade', 'fs'), { recursive: true });
    await symlink('../snapshots/halfmade/fs', join(root, 'l', 'hhhhhhhhhh'));

    const restarted = await open(root);
    const links = await readdir(join(root, 'l'));
    assert.equal(links.length, 1);
    for (const l of links) await stat(join(root, 'l', l)); // every link resolves
    const mounts = await restarted.prepare('c1', 'sha256:base');
    const lower = mounts[0]?.options.find((o) => o.startsWith('lowerdir='));
    assert.equal(lower, `lowerdir=l/${links[0] ?? ''}`);
  });

  it('one layer unpacked by two pulls at once is committed once and removed for good', async () => {
    const d = await open(root);
    await d.prepare('extract-1-sha256:l');
    await d.prepare('extract-2-sha256:l');
    await Promise.all([
      d.commit('sha256:l', 'extract-1-sha256:l'),
      d.commit('sha256:l', 'extract-2-sha256:l'),
    ]);
    assert.deepEqual(
      (await d.list()).map((s) => s.key),
      ['sha256:l'],
    );
    await d.remove('sha256:l');
    const restarted = await open(root);
    assert.deepEqual(await restarted.list(), []);
    assert.deepEqual(await readdir(join(root, 'snapshots')), []);
    assert.deepEqual(await readdir(join(root, 'l')), []);
  });
});
