import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mountPointsOf } from '../../../src/snapshot/mount-rootfs.js';

describe('mountPointsOf', () => {
  it('reads field 5 of each mountinfo line and undoes its octal escapes', () => {
    const text = [
      '22 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw',
      '81 22 0:44 / /run/user/1001/skiff/containers/abc/rootfs rw - overlay overlay rw,lowerdir=l/1',
      '90 22 0:45 / /home/u/with\\040space rw - tmpfs tmpfs rw',
      '',
    ].join('\n');
    const points = mountPointsOf(text);
    assert.deepEqual(
      [...points].sort(),
      ['/', '/home/u/with space', '/run/user/1001/skiff/containers/abc/rootfs'].sort(),
    );
    assert.equal(points.has('/run/user/1001/skiff/containers/abc'), false);
  });
});
