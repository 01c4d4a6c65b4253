import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cleanVolumeTarget } from '../../../../src/daemon/containers/volume-target.js';

describe('cleanVolumeTarget: image VOLUME keys are hostile input', () => {
  it('folds .. at the root, as filepath.Clean does, so the key stays inside the container', () => {
    assert.equal(cleanVolumeTarget('/../../../../home/u/.ssh'), '/home/u/.ssh');
    assert.equal(cleanVolumeTarget('/data/../var//lib/./x/'), '/var/lib/x');
    assert.equal(cleanVolumeTarget('/data'), '/data');
  });
  it('refuses relative keys and the root itself, with dockerd-like messages', () => {
    assert.throws(() => cleanVolumeTarget('data'), /mount path must be absolute/);
    assert.throws(() => cleanVolumeTarget('/'), /destination can't be '\/'/);
    assert.throws(() => cleanVolumeTarget('/a/..'), /destination can't be '\/'/);
  });
});
