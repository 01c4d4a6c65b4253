import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { applyCdiEdits } from '../../../../src/runtime/cdi/apply-cdi-edits.js';
import { EMPTY_EDITS } from '../../../../src/runtime/cdi/cdi-spec.js';
import type { OciSpec } from '../../../../src/runtime/spec/oci-spec.js';

const base: OciSpec = {
  ociVersion: '1.0.2',
  process: {
    terminal: false,
    user: { uid: 0, gid: 0, additionalGids: [10] },
    args: ['sh'],
    env: ['PATH=/bin', 'FAKE=container', 'KEEP=1'],
    cwd: '/',
    capabilities: { bounding: [], effective: [], permitted: [] },
    noNewPrivileges: false,
  },
  root: { path: '/rootfs', readonly: false },
  mounts: [
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: [] },
    { destination: '/data', type: 'bind', source: '/host/data', options: ['rbind'] },
  ],
  linux: {
    namespaces: [{ type: 'mount' }],
    resources: { devices: [{ allow: false, access: 'rwm' }] },
  },
};

describe('applying CDI edits', () => {
  it('no edits: the same spec', () => {
    assert.deepEqual(applyCdiEdits(base, EMPTY_EDITS), base);
  });

  it('env: CDI entries replace the same name and are appended', () => {
    const s = applyCdiEdits(base, { ...EMPTY_EDITS, env: ['FAKE=cdi', 'NEW=2', 'NEW=3'] });
    assert.deepEqual(s.process.env, ['PATH=/bin', 'KEEP=1', 'FAKE=cdi', 'NEW=3']);
  });

  it('device nodes become bind mounts of the host node, plus device allow rules', () => {
    const s = applyCdiEdits(base, {
      ...EMPTY_EDITS,
      deviceNodes: [
        { path: '/dev/fake0', hostPath: '/dev/null', type: 'c', major: 1, minor: 3 },
        { path: '/dev/zero', type: 'c', major: 1, minor: 5, permissions: 'r' },
      ],
    });
    assert.deepEqual(s.mounts.slice(2), [
      {
        destination: '/dev/fake0',
        type: 'bind',
        source: '/dev/null',
        options: ['rbind', 'nosuid', 'noexec'],
      },
      {
        destination: '/dev/zero',
        type: 'bind',
        source: '/dev/zero',
        options: ['rbind', 'nosuid', 'noexec', 'ro'],
      },
    ]);
    assert.deepEqual(s.linux.resources?.devices, [
      { allow: false, access: 'rwm' },
      { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' },
      { allow: true, type: 'c', major: 1, minor: 5, access: 'r' },
    ]);
    // The input is left as it was.
    assert.equal(base.mounts.length, 2);
  });

  it('mounts: a bind by default, replacing a mount at the same destination', () => {
    const s = applyCdiEdits(base, {
      ...EMPTY_EDITS,
      mounts: [
        { hostPath: '/host/lib', containerPath: '/data', options: ['ro', 'nosuid'] },
        { hostPath: '/host/x', containerPath: '/x', type: 'bind', options: ['bind'] },
        { hostPath: 'tmpfs', containerPath: '/scratch', type: 'tmpfs' },
      ],
    });
    assert.deepEqual(s.mounts, [
      { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: [] },
      {
        destination: '/data',
        type: 'bind',
        source: '/host/lib',
        options: ['rbind', 'ro', 'nosuid'],
      },
      { destination: '/x', type: 'bind', source: '/host/x', options: ['bind'] },
      { destination: '/scratch', type: 'tmpfs', source: 'tmpfs', options: [] },
    ]);
  });

  it('hooks go under their OCI name; additional GIDs are added once, 0 left out', () => {
    const s = applyCdiEdits(base, {
      ...EMPTY_EDITS,
      hooks: [
        { hookName: 'createRuntime', path: '/usr/bin/nvidia-ctk', args: ['nvidia-ctk', 'hook'] },
        { hookName: 'createContainer', path: '/bin/a', env: ['X=1'], timeout: 3 },
        { hookName: 'createRuntime', path: '/bin/b' },
      ],
      additionalGids: [0, 10, 44, 44],
    });
    assert.deepEqual(s.hooks, {
      createRuntime: [
        { path: '/usr/bin/nvidia-ctk', args: ['nvidia-ctk', 'hook'] },
        { path: '/bin/b' },
      ],
      createContainer: [{ path: '/bin/a', env: ['X=1'], timeout: 3 }],
    });
    assert.deepEqual(s.process.user.additionalGids, [10, 44]);
  });

  it('without resources (the rootless pass dropped them) no device rules are added', () => {
    const { resources: _r, ...linux } = base.linux;
    const s = applyCdiEdits(
      { ...base, linux },
      { ...EMPTY_EDITS, deviceNodes: [{ path: '/dev/x', hostPath: '/dev/null', type: 'c' }] },
    );
    assert.equal(s.linux.resources, undefined);
    assert.equal(s.mounts.at(-1)?.destination, '/dev/x');
  });
});
