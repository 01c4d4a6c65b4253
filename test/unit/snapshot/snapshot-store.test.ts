import { describe, it, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readlink, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConflictError } from '../../../src/errors.js';
import { SnapshotStore } from '../../../src/snapshot/snapshot-store.js';

async function dirs(root: string): Promise<string[]> {
  return (await readdir(join(root, 'snapshots'))).sort();
}

describe('SnapshotStore under concurrency', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'skiff-snapstore-'));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('two concurrent commits of one name leave one directory, before and after a reload', async () => {
    const s = new SnapshotStore(root);
    await s.load();
    await s.create('extract-a', 'active', undefined, {});
    await s.create('extract-b', 'active', undefined, {});
    const results = await Promise.allSettled([
      s.commit('sha256:layer', 'extract-a', {}),
      s.commit('sha256:layer', 'extract-b', {}),
    ]);
    assert.deepEqual(
      results.map((r) => r.status),
      ['fulfilled', 'fulfilled'],
    );
    assert.deepEqual(
      s.all().map((r) => r.key),
      ['sha256:layer'],
    );
    assert.equal((await dirs(root)).length, 1);
    assert.equal((await readdir(join(root, 'l'))).length, 1);

    // What `rmi` does, then a restart: nothing comes back.
    await s.remove('sha256:layer');
    const again = new SnapshotStore(root);
    await again.load();
    assert.deepEqual(again.all(), []);
    assert.deepEqual(await dirs(root), []);
  });

  it('many concurrent commits of one name: one survives, every other copy is gone', async () => {
    const s = new SnapshotStore(root);
    await s.load();
    await s.create('parent', 'active', undefined, {});
    await s.commit('p', 'parent', {});
    const keys = Array.from({ length: 8 }, (_, i) => `extract-${i}`);
    for (const k of keys) await s.create(k, 'active', undefined, {});
    await Promise.all(keys.map((k) => s.commit('c', k, {}, 'p')));
    assert.deepEqual(
      s
        .all()
        .map((r) => r.key)
        .sort(),
      ['c', 'p'],
    );
    assert.equal(s.get('c')?.parent, 'p');
    assert.equal((await dirs(root)).length, 2);
    const reloaded = new SnapshotStore(root);
    await reloaded.load();
    assert.deepEqual(
      reloaded
        .all()
        .map((r) => r.key)
        .sort(),
      ['c', 'p'],
    );
  });

  it('a commit onto a name committed with another parent is still a conflict', async () => {
    const s = new SnapshotStore(root);
    await s.load();
    await s.create('x', 'active', undefined, {});
    await s.commit('p1', 'x', {});
    await s.create('y', 'active', undefined, {});
    await s.commit('p2', 'y', {});
    await s.create('a', 'active', undefined, {});
    await s.commit('c', 'a', {}, 'p1');
    await s.create('b', 'active', undefined, {});
    await assert.rejects(s.commit('c', 'b', {}, 'p2'), ConflictError);
    assert.equal(s.get('b')?.kind, 'active');
  });

  it('two concurrent creates of one key: one conflict, one directory', async () => {
    const s = new SnapshotStore(root);
    await s.load();
    const results = await Promise.allSettled([
      s.create('k', 'active', undefined, {}),
      s.create('k', 'active', undefined, {}),
    ]);
    assert.deepEqual(results.map((r) => r.status).sort(), ['fulfilled', 'rejected']);
    assert.equal((await dirs(root)).length, 1);
  });

  it('a parent being removed cannot gain a child meanwhile', async () => {
    const s = new SnapshotStore(root);
    await s.load();
    await s.create('x', 'active', undefined, {});
    await s.commit('p', 'x', {});
    const [removed, created] = await Promise.allSettled([
      s.remove('p'),
      s.create('child', 'active', 'p', {}),
    ]);
    assert.equal(removed.status, 'fulfilled');
    assert.equal(created.status, 'rejected');
    assert.deepEqual(s.all(), []);
  });

  it('load drops short links nothing owns (a crash mid-create) and restores missing ones', async () => {
    const s = new SnapshotStore(root);
    await s.load();
    const kept = await s.create('kept', 'active', undefined, {});
    // A create interrupted after its link, before its metadata:
    await mkdir(join(root, 'snapshots', 'deadbeef', 'fs'), { recursive: true });
    await symlink('../snapshots/deadbeef/fs', join(root, 'l', 'aaaaaaaaaa'));
    // A remove interrupted after its directory went, before its link did:
    await symlink('../snapshots/gone/fs', join(root, 'l', 'bbbbbbbbbb'));
    // A snapshot whose link is missing:
    await rm(join(root, 'l', kept.short));

    const again = new SnapshotStore(root);
    await again.load();
    assert.deepEqual(await readdir(join(root, 'l')), [kept.short]);
    assert.equal(await readlink(join(root, 'l', kept.short)), `../snapshots/${kept.dir}/fs`);
    assert.deepEqual(await dirs(root), [kept.dir]);
  });
});
