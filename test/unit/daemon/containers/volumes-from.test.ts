import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  inheritedMountPoints,
  parseVolumesFrom,
} from '../../../../src/daemon/containers/volumes-from.js';
import type { MountPoint } from '../../../../src/daemon/containers/container-record.js';

describe('parseVolumesFrom: dockerd parses `container[:mode]`', () => {
  it('reads the container and whether :ro was asked', () => {
    assert.deepEqual(parseVolumesFrom('box'), { ref: 'box', readOnly: false });
    assert.deepEqual(parseVolumesFrom('box:ro'), { ref: 'box', readOnly: true });
    assert.deepEqual(parseVolumesFrom('box:rw'), { ref: 'box', readOnly: false });
  });
  it('refuses an empty entry and unknown modes with dockerd’s words', () => {
    assert.throws(
      () => parseVolumesFrom(''),
      /volume-from specification cannot be an empty string/,
    );
    assert.throws(() => parseVolumesFrom('box:rx'), /invalid mode for volumes-from: rx/);
    assert.throws(() => parseVolumesFrom('box:ro,rw'), /invalid mode for volumes-from: ro,rw/);
    assert.throws(() => parseVolumesFrom('a:b:c'), /invalid mode for volumes-from: a:b:c/);
  });
});

describe('inheritedMountPoints: the other container’s volumes and binds', () => {
  const points: MountPoint[] = [
    {
      type: 'volume',
      name: 'v1',
      source: '/vol/v1/_data',
      destination: '/data',
      mode: 'z',
      rw: true,
      propagation: '',
      anonymous: true,
    },
    {
      type: 'bind',
      source: '/host/ro',
      destination: '/cfg',
      mode: 'ro',
      rw: false,
      propagation: 'rprivate',
    },
    { type: 'tmpfs', source: '', destination: '/tmp', mode: '', rw: true, propagation: '' },
  ];
  it('keeps each mount’s mode, leaves tmpfs out, and never owns the other’s anonymous volume', () => {
    const got = inheritedMountPoints(points, false);
    assert.deepEqual(
      got.map((m) => [m.destination, m.rw, m.mode, m.anonymous, m.populated]),
      [
        ['/data', true, 'z', undefined, true],
        ['/cfg', false, 'ro', undefined, true],
      ],
    );
  });
  it('makes everything read-only with :ro; :rw cannot make a read-only mount writable', () => {
    assert.deepEqual(
      inheritedMountPoints(points, true).map((m) => [m.destination, m.rw, m.mode]),
      [
        ['/data', false, 'ro'],
        ['/cfg', false, 'ro'],
      ],
    );
  });
});
