import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseCdiSpec, parseQualifiedName } from '../../../../src/runtime/cdi/cdi-spec.js';
import { InvalidArgumentError } from '../../../../src/errors.js';

const JSON_SPEC = JSON.stringify({
  cdiVersion: '0.6.0',
  kind: 'skiff.test/fake',
  devices: [
    {
      name: 'null0',
      containerEdits: {
        deviceNodes: [{ path: '/dev/fake0', hostPath: '/dev/null', permissions: 'rw' }],
        env: ['FAKE=1'],
      },
    },
  ],
  containerEdits: {
    mounts: [{ hostPath: '/tmp', containerPath: '/fake', options: ['ro', 'bind'] }],
    hooks: [{ hookName: 'createContainer', path: '/bin/true', args: ['true'], timeout: 5 }],
    additionalGIDs: [44],
  },
});

const YAML_SPEC = `
cdiVersion: "0.5.0"
kind: nvidia.com/gpu
devices:
  - name: "0"
    containerEdits:
      deviceNodes:
        - path: /dev/nvidia0
          hostPath: /dev/null
          type: c
          major: 1
          minor: 3
  - name: all
    containerEdits:
      deviceNodes:
        - path: /dev/nvidia0
containerEdits:
  env:
    - NVIDIA_VISIBLE_DEVICES=void
`;

async function fails(text: string, file: string, re: RegExp): Promise<void> {
  await assert.rejects(
    () => parseCdiSpec(text, file),
    (e: unknown) => e instanceof InvalidArgumentError && re.test(e.message),
  );
}

describe('CDI spec parsing', () => {
  it('reads a JSON spec', async () => {
    const s = await parseCdiSpec(JSON_SPEC, '/etc/cdi/fake.json');
    assert.equal(s.kind, 'skiff.test/fake');
    assert.equal(s.file, '/etc/cdi/fake.json');
    assert.equal(s.devices.length, 1);
    assert.deepEqual(s.devices[0]?.containerEdits.deviceNodes, [
      { path: '/dev/fake0', hostPath: '/dev/null', permissions: 'rw' },
    ]);
    assert.deepEqual(s.devices[0]?.containerEdits.env, ['FAKE=1']);
    assert.deepEqual(s.containerEdits.mounts, [
      { hostPath: '/tmp', containerPath: '/fake', options: ['ro', 'bind'] },
    ]);
    assert.deepEqual(s.containerEdits.hooks, [
      { hookName: 'createContainer', path: '/bin/true', args: ['true'], timeout: 5 },
    ]);
    assert.deepEqual(s.containerEdits.additionalGids, [44]);
  });

  it('reads a YAML spec (.yaml and .yml), numbers and all', async () => {
    for (const f of ['/etc/cdi/nvidia.yaml', '/etc/cdi/nvidia.yml']) {
      const s = await parseCdiSpec(YAML_SPEC, f);
      assert.equal(s.kind, 'nvidia.com/gpu');
      assert.deepEqual(
        s.devices.map((d) => d.name),
        ['0', 'all'],
      );
      assert.deepEqual(s.devices[0]?.containerEdits.deviceNodes[0], {
        path: '/dev/nvidia0',
        hostPath: '/dev/null',
        type: 'c',
        major: 1,
        minor: 3,
      });
      assert.deepEqual(s.containerEdits.env, ['NVIDIA_VISIBLE_DEVICES=void']);
    }
  });

  it('a spec without top-level edits has empty ones', async () => {
    const s = await parseCdiSpec(
      JSON.stringify({
        cdiVersion: '0.3.0',
        kind: 'a.b/c',
        devices: [{ name: 'x', containerEdits: { env: ['A=1'] } }],
      }),
      '/d/a.json',
    );
    assert.deepEqual(s.containerEdits, {
      env: [],
      deviceNodes: [],
      mounts: [],
      hooks: [],
      additionalGids: [],
    });
  });

  it('refuses unparsable text, naming the file', async () => {
    await fails(
      '{"cdiVersion": ',
      '/etc/cdi/broken.json',
      /^CDI spec \/etc\/cdi\/broken\.json: cannot parse/,
    );
    await fails(
      'kind: [unclosed',
      '/etc/cdi/broken.yaml',
      /^CDI spec \/etc\/cdi\/broken\.yaml: cannot parse/,
    );
    await fails('[]', '/x/list.json', /CDI spec \/x\/list\.json: expected an object/);
    await fails(
      'cdiVersion: 0.6.0\ncdiVersion: 0.5.0\n',
      '/x/dup.yaml',
      /CDI spec \/x\/dup\.yaml: cannot parse: Map keys must be unique/,
    );
  });

  it('refuses bad fields, naming the file and the field', async () => {
    const base = JSON.parse(JSON_SPEC) as Record<string, unknown>;
    const spec = (patch: Record<string, unknown>): string => JSON.stringify({ ...base, ...patch });
    await fails(spec({ cdiVersion: undefined }), '/f.json', /\/f\.json: cdiVersion: missing/);
    await fails(
      spec({ cdiVersion: '7.0.0' }),
      '/f.json',
      /cdiVersion: unsupported CDI version "7\.0\.0"/,
    );
    await fails(spec({ kind: 'novendor' }), '/f.json', /kind: invalid kind "novendor"/);
    await fails(spec({ kind: '-bad/x' }), '/f.json', /invalid vendor "-bad"/);
    await fails(spec({ devices: undefined }), '/f.json', /devices: missing or not a list/);
    await fails(
      spec({ devices: [{ name: 'bad name!', containerEdits: { env: ['A=1'] } }] }),
      '/f.json',
      /devices\[0\]\.name: invalid device name "bad name!"/,
    );
    await fails(
      spec({ devices: [{ name: 'x', containerEdits: {} }] }),
      '/f.json',
      /devices\[0\]\.containerEdits: device "x" has no container edits/,
    );
    await fails(
      spec({
        devices: [
          { name: 'x', containerEdits: { env: ['A=1'] } },
          { name: 'x', containerEdits: { env: ['A=2'] } },
        ],
      }),
      '/f.json',
      /devices\[1\]\.name: duplicate device "x"/,
    );
    await fails(
      spec({ devices: [{ name: 'x', containerEdits: { deviceNodes: [{ path: 'dev/x' }] } }] }),
      '/f.json',
      /devices\[0\]\.containerEdits\.deviceNodes\[0\]\.path: must be an absolute path/,
    );
    await fails(
      spec({
        devices: [{ name: 'x', containerEdits: { deviceNodes: [{ path: '/dev/x', type: 'z' }] } }],
      }),
      '/f.json',
      /deviceNodes\[0\]\.type: invalid device type "z"/,
    );
    await fails(
      spec({
        devices: [
          { name: 'x', containerEdits: { deviceNodes: [{ path: '/dev/x', permissions: 'rx' }] } },
        ],
      }),
      '/f.json',
      /deviceNodes\[0\]\.permissions: invalid permissions "rx"/,
    );
    await fails(
      spec({ devices: [{ name: 'x', containerEdits: { env: ['NOEQUALS'] } }] }),
      '/f.json',
      /devices\[0\]\.containerEdits\.env\[0\]: invalid environment variable "NOEQUALS"/,
    );
    await fails(
      spec({ containerEdits: { hooks: [{ hookName: 'preStart', path: '/bin/true' }] } }),
      '/f.json',
      /containerEdits\.hooks\[0\]\.hookName: invalid hook name "preStart"/,
    );
    await fails(
      spec({ containerEdits: { mounts: [{ hostPath: '/a' }] } }),
      '/f.json',
      /containerEdits\.mounts\[0\]\.containerPath: missing/,
    );
    await fails(
      spec({ containerEdits: { additionalGIDs: [-1] } }),
      '/f.json',
      /containerEdits\.additionalGIDs\[0\]: expected an integer/,
    );
    await fails(
      spec({ containerEdits: { env: 'A=1' } }),
      '/f.json',
      /containerEdits\.env: expected a list/,
    );
  });

  it('splits qualified names and refuses the others', () => {
    assert.deepEqual(parseQualifiedName('nvidia.com/gpu=0'), { kind: 'nvidia.com/gpu', name: '0' });
    assert.deepEqual(parseQualifiedName('vendor.com/class=all'), {
      kind: 'vendor.com/class',
      name: 'all',
    });
    assert.ok('error' in parseQualifiedName('nvidia.com/gpu'));
    assert.ok('error' in parseQualifiedName('gpu=0'));
    assert.ok('error' in parseQualifiedName('nvidia.com/gpu=bad name'));
    assert.ok('error' in parseQualifiedName('nvidia.com/gpu='));
  });
});
