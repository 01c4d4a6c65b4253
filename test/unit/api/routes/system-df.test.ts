// Issue 10: `docker system df` counts a layer shared by several images once (LayersSize), and
// reports per image the bytes it shares (SharedSize), as moby daemon/images/image_list.go.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { sharedLayers } from '../../../../src/api/routes/system-df.js';

describe('sharedLayers', () => {
  const sizes = new Map([
    ['base', 1000],
    ['a1', 10],
    ['b1', 20],
    ['c1', 300],
  ]);

  it('counts each layer once and a shared layer into every image that uses it', () => {
    const r = sharedLayers(
      [
        { id: 'A', chainIds: ['base', 'a1'] },
        { id: 'B', chainIds: ['base', 'b1'] },
        { id: 'C', chainIds: ['c1'] },
      ],
      sizes,
    );
    assert.equal(r.layersSize, 1000 + 10 + 20 + 300);
    assert.equal(r.sharedSize.get('A'), 1000);
    assert.equal(r.sharedSize.get('B'), 1000);
    assert.equal(r.sharedSize.get('C'), 0);
  });

  it('an image that is a prefix of another shares all of its layers', () => {
    const r = sharedLayers(
      [
        { id: 'base', chainIds: ['base'] },
        { id: 'A', chainIds: ['base', 'a1'] },
      ],
      sizes,
    );
    assert.equal(r.layersSize, 1010);
    assert.equal(r.sharedSize.get('base'), 1000);
    assert.equal(r.sharedSize.get('A'), 1000);
  });

  it('no images: nothing', () => {
    const r = sharedLayers([], sizes);
    assert.equal(r.layersSize, 0);
    assert.equal(r.sharedSize.size, 0);
  });
});
