import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  cgroupFieldWarnings,
  checkImagePlatform,
  effectiveCgroupns,
  effectiveRuntime,
  securityOptWarnings,
} from '../../../../src/daemon/containers/create-fields.js';
import { parseHostConfig } from '../../../../src/api/wire/host-config.js';
import { InvalidArgumentError, NotFoundError } from '../../../../src/errors.js';

describe('create fields', () => {
  it('warns for label= and apparmor=, and for nothing else', () => {
    const w = securityOptWarnings([
      'label=disable',
      'apparmor:unconfined',
      'no-new-privileges',
      'seccomp=unconfined',
      'systempaths=unconfined',
    ]);
    assert.equal(w.length, 2);
    assert.match(w[0] ?? '', /"label=disable" discarded: SELinux/);
    assert.match(w[1] ?? '', /"apparmor:unconfined" discarded: AppArmor/);
  });

  it('keeps the host cgroup namespace without cgroup v2, warning when private was asked', () => {
    assert.deepEqual(effectiveCgroupns('', 1), { mode: 'host' });
    const p = effectiveCgroupns('private', 1);
    assert.equal(p.mode, 'host');
    assert.match(p.warning ?? '', /Cgroup namespace setting discarded/);
    assert.deepEqual(effectiveCgroupns('', 2), { mode: 'private' });
    assert.deepEqual(effectiveCgroupns('host', 2), { mode: 'host' });
    assert.throws(() => effectiveCgroupns('bogus', 2), /invalid cgroup namespace mode: bogus/);
  });

  it('names the runtime in use and refuses another, with dockerd words', () => {
    assert.equal(effectiveRuntime('', 'crun'), 'crun');
    assert.equal(effectiveRuntime('runc', 'runc'), 'runc');
    assert.throws(
      () => effectiveRuntime('crun', 'runc'),
      (e: unknown) =>
        e instanceof InvalidArgumentError && e.message === 'Unknown runtime specified crun',
    );
  });

  it('checks the create platform against the image (404, dockerd GetImage wording)', () => {
    const amd64 = { os: 'linux', architecture: 'amd64' };
    checkImagePlatform('busybox', 'linux/amd64', amd64);
    checkImagePlatform('busybox', 'linux/x86_64', amd64);
    checkImagePlatform('a', 'linux/arm64/v8', { os: 'linux', architecture: 'arm64' });
    assert.throws(
      () => {
        checkImagePlatform('busybox', 'linux/arm64', amd64);
      },
      (e: unknown) =>
        e instanceof NotFoundError &&
        e.message ===
          'image with reference busybox was found but does not match the specified platform: wanted linux/arm64, actual: linux/amd64',
    );
    assert.throws(() => {
      checkImagePlatform('a', 'linux/arm/v6', {
        os: 'linux',
        architecture: 'arm',
        variant: 'v7',
      });
    }, NotFoundError);
  });

  it('warns for every cgroup field it cannot apply, delegated or not', () => {
    const hc = parseHostConfig({
      CgroupParent: 'g',
      BlkioDeviceWriteIOps: [{ Path: '/dev/sda', Rate: 10 }],
      DeviceCgroupRules: ['b *:* rw'],
    });
    const w = cgroupFieldWarnings(hc, []);
    assert.equal(w.length, 3);
    assert.match(w.join('\n'), /CgroupParent "g" discarded/);
    assert.match(w.join('\n'), /Block I\/O IOPS write limit discarded/);
    assert.match(w.join('\n'), /DeviceCgroupRules discarded/);
    const delegated = cgroupFieldWarnings(hc, ['io', 'memory']).join('\n');
    assert.match(delegated, /skiff places containers in its own delegated cgroup/);
    assert.match(delegated, /Per-device Block I\/O limits are not applied by skiff yet/);
    assert.deepEqual(cgroupFieldWarnings(parseHostConfig({}), []), []);
  });
});
