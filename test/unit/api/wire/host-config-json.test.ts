import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseHostConfig } from '../../../../src/api/wire/host-config.js';
import { hostConfigJson } from '../../../../src/api/wire/host-config-json.js';

describe('hostConfigJson echoes what was asked', () => {
  it('Tmpfs as given, Isolation, VolumeDriver, rules, annotations, blkio, device requests', () => {
    const j = hostConfigJson(
      parseHostConfig({
        Tmpfs: { '/t': 'size=3M,noexec' },
        Isolation: 'default',
        VolumeDriver: 'local',
        DeviceCgroupRules: ['c 1:3 rwm'],
        Annotations: { a: 'b' },
        CgroupParent: 'p',
        BlkioWeightDevice: [{ Path: '/dev/sda', Weight: 200 }],
        BlkioDeviceReadBps: [{ Path: '/dev/sda', Rate: 5 }],
        DeviceRequests: [{ Driver: 'nvidia', Count: 1, Capabilities: [['gpu']] }],
      }),
      'bridge',
    );
    assert.deepEqual(j['Tmpfs'], { '/t': 'size=3M,noexec' });
    assert.equal(j['Isolation'], 'default');
    assert.equal(j['VolumeDriver'], 'local');
    assert.deepEqual(j['DeviceCgroupRules'], ['c 1:3 rwm']);
    assert.deepEqual(j['Annotations'], { a: 'b' });
    assert.equal(j['CgroupParent'], 'p');
    assert.deepEqual(j['BlkioWeightDevice'], [{ Path: '/dev/sda', Weight: 200 }]);
    assert.deepEqual(j['BlkioDeviceReadBps'], [{ Path: '/dev/sda', Rate: 5 }]);
    assert.deepEqual(j['BlkioDeviceWriteBps'], []);
    assert.deepEqual(j['DeviceRequests'], [
      { Driver: 'nvidia', Count: 1, DeviceIDs: [], Capabilities: [['gpu']], Options: {} },
    ]);
  });

  it('defaults as dockerd: empty isolation, no rules, no annotations key', () => {
    const j = hostConfigJson(parseHostConfig({}), 'bridge');
    assert.equal(j['Isolation'], '');
    assert.equal(j['DeviceCgroupRules'], null);
    assert.equal(j['DeviceRequests'], null);
    assert.equal('Annotations' in j, false);
    assert.equal(j['Tmpfs'], null);
  });

  it('refuses a malformed device cgroup rule and a non-Linux isolation', () => {
    assert.throws(
      () => parseHostConfig({ DeviceCgroupRules: ['x 1:3 rwm'] }),
      /invalid device cgroup rule format: 'x 1:3 rwm'/,
    );
    assert.throws(() => parseHostConfig({ Isolation: 'process' }), /Invalid isolation/);
  });
});
