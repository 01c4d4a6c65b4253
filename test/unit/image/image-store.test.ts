import { describe, it, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImageStore, type StoredImage } from '../../../src/image/image-store.js';
import { parseReference } from '../../../src/image/reference.js';

function image(hexDigit: string): StoredImage {
  return {
    id: `sha256:${hexDigit.repeat(64)}`,
    layers: [],
    diffIds: [],
    chainIds: [],
    size: 0,
    created: '2024-01-01T00:00:00Z',
    addedAt: '2024-01-01T00:00:00Z',
  };
}

describe('ImageStore names under concurrency', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'skiff-images-'));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('400 concurrent tags are all there after a reload', async () => {
    const s = await ImageStore.open(root);
    const img = image('a');
    await s.put(img);
    const n = 400;
    await Promise.all(
      Array.from({ length: n }, (_, i) => s.tag(parseReference(`example.com/app:t${i}`), img.id)),
    );
    assert.equal(s.tagsOf(img.id).length, n);
    const reloaded = await ImageStore.open(root);
    assert.equal(reloaded.tagsOf(img.id).length, n);
  });

  it('concurrent tags, untags, digests and removals end as they would one by one', async () => {
    const s = await ImageStore.open(root);
    const a = image('a');
    const b = image('b');
    await s.put(a);
    await s.put(b);
    for (let i = 0; i < 50; i++) await s.tag(parseReference(`x/old:t${i}`), b.id);
    await Promise.all([
      ...Array.from({ length: 100 }, (_, i) => s.tag(parseReference(`x/new:t${i}`), a.id)),
      ...Array.from({ length: 50 }, (_, i) => s.untag(`docker.io/x/old:t${i}`)),
      s.addDigest(parseReference('x/new'), `sha256:${'c'.repeat(64)}`, a.id),
      s.remove(b.id),
    ]);
    const reloaded = await ImageStore.open(root);
    assert.equal(reloaded.tagsOf(a.id).length, 100);
    assert.equal(reloaded.digestsOf(a.id).length, 1);
    assert.equal(reloaded.tagsOf(b.id).length, 0);
    assert.equal(reloaded.get(b.id), undefined);
  });

  it('tag tells which image the tag pointed to before, also when two race', async () => {
    const s = await ImageStore.open(root);
    const a = image('a');
    const b = image('b');
    await s.put(a);
    await s.put(b);
    const ref = parseReference('x/app:latest');
    const [first, second] = await Promise.all([s.tag(ref, a.id), s.tag(ref, b.id)]);
    assert.equal(first, undefined);
    assert.equal(second, a.id);
  });
});
