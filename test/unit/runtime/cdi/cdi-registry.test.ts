import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import {
  cdiDevicesOfKind,
  completeDeviceNodes,
  hasCdiKind,
  loadCdiRegistry,
  MAX_CDI_SPEC_BYTES,
  resolveCdiDevices,
} from '../../../../src/runtime/cdi/cdi-registry.js';
import { EMPTY_EDITS } from '../../../../src/runtime/cdi/cdi-spec.js';
import { InvalidArgumentError } from '../../../../src/errors.js';

function gpuSpec(names: readonly string[], extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    cdiVersion: '0.6.0',
    kind: 'nvidia.com/gpu',
    devices: names.map((n) => ({
      name: n,
      containerEdits: { deviceNodes: [{ path: `/dev/nvidia${n}`, hostPath: '/dev/null' }] },
    })),
    containerEdits: { env: ['NVIDIA=spec'] },
    ...extra,
  });
}

function rejects(fn: () => unknown, re: RegExp): void {
  assert.throws(fn, (e: unknown) => e instanceof InvalidArgumentError && re.test(e.message));
}

describe('CDI registry', () => {
  let dir: string;
  let low: string;
  let high: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'skiff-cdi-'));
    low = join(dir, 'etc-cdi');
    high = join(dir, 'run-cdi');
    await mkdir(low);
    await mkdir(high);
    await writeFile(join(low, 'nvidia.json'), gpuSpec(['1', '0', '10', '2']));
    await writeFile(
      join(low, 'fake.yaml'),
      [
        'cdiVersion: 0.6.0',
        'kind: skiff.test/fake',
        'devices:',
        '  - name: null0',
        '    containerEdits:',
        '      env: [FAKE=low]',
        '      deviceNodes: [{path: /dev/fake0, hostPath: /dev/null}]',
        '  - name: zero0',
        '    containerEdits:',
        '      deviceNodes: [{path: /dev/fake1, hostPath: /dev/zero}]',
      ].join('\n'),
    );
    // Overridden by the higher-priority directory.
    await writeFile(
      join(high, 'fake-override.yml'),
      JSON.stringify({
        cdiVersion: '0.6.0',
        kind: 'skiff.test/fake',
        devices: [{ name: 'null0', containerEdits: { env: ['FAKE=high'] } }],
      }),
    );
    // Two files at one priority defining one name: a conflict.
    await writeFile(
      join(high, 'dup-a.json'),
      JSON.stringify({
        cdiVersion: '0.6.0',
        kind: 'skiff.test/dup',
        devices: [{ name: 'd', containerEdits: { env: ['A=1'] } }],
      }),
    );
    await writeFile(
      join(high, 'dup-b.json'),
      JSON.stringify({
        cdiVersion: '0.6.0',
        kind: 'skiff.test/dup',
        devices: [{ name: 'd', containerEdits: { env: ['A=2'] } }],
      }),
    );
    await writeFile(join(high, 'broken.json'), '{"cdiVersion": "0.6.0", "kind": ');
    await writeFile(join(high, 'README.txt'), 'not a spec');
    await mkdir(join(high, 'dir.json'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('loads JSON and YAML specs, skips other files, records malformed ones', async () => {
    const reg = await loadCdiRegistry([low, high, join(dir, 'missing')]);
    assert.deepEqual(reg.dirs, [low, high, join(dir, 'missing')]);
    // Lowest priority first, each directory in name order.
    assert.deepEqual(
      reg.specs.map((s) => s.spec.file),
      [
        join(low, 'fake.yaml'),
        join(low, 'nvidia.json'),
        join(high, 'dup-a.json'),
        join(high, 'dup-b.json'),
        join(high, 'fake-override.yml'),
      ],
    );
    assert.equal(reg.errors.length, 1);
    assert.equal(reg.errors[0]?.file, join(high, 'broken.json'));
    assert.match(reg.errors[0]?.message ?? '', /broken\.json: cannot parse/);
    assert.ok(hasCdiKind(reg, 'nvidia.com/gpu'));
    assert.ok(!hasCdiKind(reg, 'amd.com/gpu'));
  });

  it('lists a kind in name order, numbers by value', async () => {
    const reg = await loadCdiRegistry([low]);
    assert.deepEqual(cdiDevicesOfKind(reg, 'nvidia.com/gpu'), ['0', '1', '2', '10']);
    assert.deepEqual(cdiDevicesOfKind(reg, 'none.com/x'), []);
  });

  it('resolves names: device edits first, then the spec edits once', async () => {
    const reg = await loadCdiRegistry([low]);
    const r = resolveCdiDevices(reg, ['nvidia.com/gpu=0', 'nvidia.com/gpu=2', 'nvidia.com/gpu=0']);
    assert.deepEqual(r.devices, ['nvidia.com/gpu=0', 'nvidia.com/gpu=2']);
    assert.deepEqual(
      r.edits.deviceNodes.map((d) => d.path),
      ['/dev/nvidia0', '/dev/nvidia2'],
    );
    assert.deepEqual(r.edits.env, ['NVIDIA=spec']);
  });

  it('=all is every device of the kind, or the device named all when there is one', async () => {
    const reg = await loadCdiRegistry([low]);
    const r = resolveCdiDevices(reg, ['nvidia.com/gpu=all']);
    assert.deepEqual(r.devices, [
      'nvidia.com/gpu=0',
      'nvidia.com/gpu=1',
      'nvidia.com/gpu=2',
      'nvidia.com/gpu=10',
    ]);
    const own = join(dir, 'own-all');
    await mkdir(own, { recursive: true });
    await writeFile(join(own, 'n.json'), gpuSpec(['0', 'all']));
    const r2 = resolveCdiDevices(await loadCdiRegistry([own]), ['nvidia.com/gpu=all']);
    assert.deepEqual(r2.devices, ['nvidia.com/gpu=all']);
    assert.deepEqual(cdiDevicesOfKind(await loadCdiRegistry([own]), 'nvidia.com/gpu'), ['0']);
  });

  it('unknown names fail with CDI words and the specs left out', async () => {
    const reg = await loadCdiRegistry([low, high]);
    rejects(
      () => resolveCdiDevices(reg, ['skiff.test/fake=nope', 'nvidia.com/gpu=0']),
      /^CDI device injection failed: unresolvable CDI devices skiff\.test\/fake=nope;.*broken\.json: cannot parse/,
    );
    rejects(
      () => resolveCdiDevices(reg, ['other.com/x=all']),
      /unresolvable CDI devices other\.com\/x=all/,
    );
    rejects(
      () => resolveCdiDevices(reg, ['not-qualified']),
      /unresolvable CDI devices not-qualified \("not-qualified" is not a qualified CDI device name/,
    );
  });

  it('a later directory wins; a name twice in one directory is a conflict', async () => {
    const reg = await loadCdiRegistry([low, high]);
    const r = resolveCdiDevices(reg, ['skiff.test/fake=null0', 'skiff.test/fake=zero0']);
    assert.deepEqual(r.edits.env, ['FAKE=high']);
    assert.deepEqual(
      r.edits.deviceNodes.map((d) => d.path),
      ['/dev/fake1'],
    );
    rejects(
      () => resolveCdiDevices(reg, ['skiff.test/dup=d']),
      /unresolvable CDI devices skiff\.test\/dup=d \(skiff\.test\/dup=d is defined in more than one spec: .*dup-a\.json, .*dup-b\.json\)/,
    );
  });

  it('refuses a spec file over the size limit, naming it', async () => {
    const big = join(dir, 'big');
    await mkdir(big, { recursive: true });
    await writeFile(join(big, 'big.json'), Buffer.alloc(MAX_CDI_SPEC_BYTES + 1, 0x20));
    const reg = await loadCdiRegistry([big]);
    assert.equal(reg.specs.length, 0);
    assert.match(reg.errors[0]?.message ?? '', /big\.json: too large/);
  });

  it('completes device nodes from the host, and refuses missing or non-device ones', async () => {
    const done = await completeDeviceNodes({
      ...EMPTY_EDITS,
      deviceNodes: [{ path: '/dev/fake0', hostPath: '/dev/null' }, { path: '/dev/zero' }],
    });
    assert.deepEqual(done.deviceNodes, [
      { path: '/dev/fake0', hostPath: '/dev/null', type: 'c', major: 1, minor: 3 },
      { path: '/dev/zero', hostPath: '/dev/zero', type: 'c', major: 1, minor: 5 },
    ]);
    await assert.rejects(
      completeDeviceNodes({ ...EMPTY_EDITS, deviceNodes: [{ path: '/dev/nvidia-nope' }] }),
      /CDI device injection failed: failed to stat CDI host device "\/dev\/nvidia-nope"/,
    );
    await assert.rejects(
      completeDeviceNodes({
        ...EMPTY_EDITS,
        deviceNodes: [{ path: '/dev/x', hostPath: join(low, 'nvidia.json') }],
      }),
      /is not a device node/,
    );
  });
});
