import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  keepIdMappings,
  mappedRangeSize,
  parseUsernsMode,
} from '../../../../src/runtime/spec/keep-id-mappings.js';
import { toRootless } from '../../../../src/rootless/spec.js';
import type { OciSpec } from '../../../../src/runtime/spec/oci-spec.js';
import type { HostProfile } from '../../../../src/host.js';

describe('parseUsernsMode', () => {
  it('"" and "host" share skiffd\'s namespace', () => {
    assert.deepEqual(parseUsernsMode(''), { kind: 'host' });
    assert.deepEqual(parseUsernsMode('host'), { kind: 'host' });
  });

  it('keep-id with and without uid/gid', () => {
    assert.deepEqual(parseUsernsMode('keep-id'), { kind: 'keep-id' });
    assert.deepEqual(parseUsernsMode('keep-id:uid=1234,gid=99'), {
      kind: 'keep-id',
      uid: 1234,
      gid: 99,
    });
    assert.deepEqual(parseUsernsMode('keep-id:gid=0'), { kind: 'keep-id', gid: 0 });
  });

  it('refuses anything else with dockerd\'s "invalid USER NS mode"', () => {
    for (const bad of [
      'private',
      'auto',
      'nomap',
      'keep-id:',
      'keep-id:uid=',
      'keep-id:uid=-1',
      'keep-id:uid=1.5',
      'keep-id:size=10',
      'keep-id:uid=1:gid=2',
      'keep-id:uid=4294967295',
      'KEEP-ID',
    ])
      assert.throws(
        () => parseUsernsMode(bad),
        (e: Error) => e.message.startsWith(`invalid USER NS mode: ${bad}`),
        bad,
      );
  });
});

describe('mappedRangeSize', () => {
  it("rootlesskit's holder: the user on 0, the subordinate range from 1", () => {
    assert.equal(
      mappedRangeSize([
        { containerId: 0, hostId: 1000, size: 1 },
        { containerId: 1, hostId: 100000, size: 65536 },
      ]),
      65537,
    );
  });

  it('counts only the run from 0 without a gap; order does not matter', () => {
    assert.equal(
      mappedRangeSize([
        { containerId: 1, hostId: 100000, size: 10 },
        { containerId: 0, hostId: 1000, size: 1 },
        { containerId: 20, hostId: 200000, size: 10 },
      ]),
      11,
    );
    assert.equal(mappedRangeSize([{ containerId: 5, hostId: 1, size: 10 }]), 0);
    assert.equal(mappedRangeSize([]), 0);
  });
});

describe('keepIdMappings', () => {
  it('the user (holder 0) on their own id, 0..U-1 on holder 1..U, the rest unchanged', () => {
    assert.deepEqual(keepIdMappings(1000, 65537), [
      { containerID: 0, hostID: 1, size: 1000 },
      { containerID: 1000, hostID: 0, size: 1 },
      { containerID: 1001, hostID: 1001, size: 64536 },
    ]);
  });

  it('uses every holder id exactly once and every container id at most once', () => {
    for (const [id, size] of [
      [0, 65537],
      [1, 65537],
      [1000, 65537],
      [65535, 65537],
      [65536, 65537],
      [70000, 65537],
      [5, 6],
      [0, 1],
    ] as const) {
      const maps = keepIdMappings(id, size);
      const holder = maps.flatMap((m) => Array.from({ length: m.size }, (_, k) => m.hostID + k));
      const container = maps.flatMap((m) =>
        Array.from({ length: m.size }, (_, k) => m.containerID + k),
      );
      assert.equal(new Set(holder).size, holder.length, `${id}/${size}`);
      assert.equal(new Set(container).size, container.length, `${id}/${size}`);
      assert.ok(
        holder.every((h) => h >= 0 && h < size),
        `${id}/${size}`,
      );
      assert.equal(holder.length, size, `${id}/${size}: every holder id used`);
      // The user is the container's `id`.
      assert.ok(maps.some((m) => m.containerID === id && m.hostID === 0 && m.size === 1));
      assert.ok(maps.every((m) => m.size > 0));
    }
  });

  it('an id at the end of the range or beyond it', () => {
    assert.deepEqual(keepIdMappings(65536, 65537), [
      { containerID: 0, hostID: 1, size: 65536 },
      { containerID: 65536, hostID: 0, size: 1 },
    ]);
    assert.deepEqual(keepIdMappings(100000, 65537), [
      { containerID: 0, hostID: 1, size: 65536 },
      { containerID: 100000, hostID: 0, size: 1 },
    ]);
  });

  it('id 0 is the identity', () => {
    assert.deepEqual(keepIdMappings(0, 65537), [
      { containerID: 0, hostID: 0, size: 1 },
      { containerID: 1, hostID: 1, size: 65536 },
    ]);
  });

  it('refuses an empty range', () => {
    assert.throws(() => keepIdMappings(1000, 0), /maps no ids/);
  });
});

describe('toRootless with a keep-id user namespace', () => {
  const host = {
    cgroup: { layout: 'hybrid', version: 1, driver: 'none', delegated: [], freezer: false },
    limits: {},
  } as unknown as HostProfile;
  const spec = (namespaces: OciSpec['linux']['namespaces']): OciSpec => ({
    ociVersion: '1.0.2',
    process: {
      terminal: false,
      user: { uid: 1000, gid: 1000 },
      args: ['sh'],
      env: [],
      cwd: '/',
      capabilities: { bounding: [], effective: [], permitted: [] },
      noNewPrivileges: false,
    },
    root: { path: '/r', readonly: false },
    mounts: [
      { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['ro'] },
      { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: [] },
    ],
    linux: { namespaces },
  });
  const typeAt = (s: OciSpec, dest: string): string | undefined =>
    s.mounts.find((m) => m.destination === dest)?.type;

  it("binds /sys when the network namespace is joined (owned by skiffd's user namespace)", () => {
    const s = toRootless(
      spec([{ type: 'user' }, { type: 'network', path: '/proc/9/ns/net' }, { type: 'ipc' }]),
      host,
    );
    assert.equal(typeAt(s, '/sys'), 'bind');
    assert.equal(typeAt(s, '/dev/mqueue'), 'mqueue');
  });

  it('binds /dev/mqueue when the IPC namespace is joined', () => {
    const s = toRootless(
      spec([{ type: 'user' }, { type: 'network' }, { type: 'ipc', path: '/proc/9/ns/ipc' }]),
      host,
    );
    assert.equal(typeAt(s, '/sys'), 'sysfs');
    assert.equal(typeAt(s, '/dev/mqueue'), 'bind');
  });

  it('leaves /dev/mqueue out when the host has none to bind (--ipc host on such a host)', () => {
    const s = toRootless(spec([{ type: 'network' }]), { ...host, devMqueue: false });
    assert.equal(typeAt(s, '/dev/mqueue'), undefined);
    assert.equal(typeAt(toRootless(spec([{ type: 'network' }]), host), '/dev/mqueue'), 'bind');
  });

  it('a user namespace joined by path owns the bridge network namespace made with it', () => {
    const s = toRootless(
      spec([
        { type: 'user', path: '/run/netns/c.userns' },
        { type: 'network', path: '/run/netns/c' },
        { type: 'ipc', path: '/proc/9/ns/ipc' },
      ]),
      host,
    );
    assert.equal(typeAt(s, '/sys'), 'sysfs');
    assert.equal(typeAt(s, '/dev/mqueue'), 'bind');
  });

  it("without a user namespace, a joined namespace is skiffd's own: fresh mounts as before", () => {
    const s = toRootless(
      spec([
        { type: 'network', path: '/proc/9/ns/net' },
        { type: 'ipc', path: '/proc/9/ns/ipc' },
      ]),
      host,
    );
    assert.equal(typeAt(s, '/sys'), 'sysfs');
    assert.equal(typeAt(s, '/dev/mqueue'), 'mqueue');
  });
});
