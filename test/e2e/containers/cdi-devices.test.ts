// CDI device injection, as dockerd 28 does it: `--device vendor.com/class=name` (the CLI sends a
// DeviceRequest with Driver "cdi") and `--gpus` (devices of kind nvidia.com/gpu) resolved from
// the spec files of daemon.json's `cdi-spec-dirs`; device nodes are bind-mounted (no mknod in a
// user namespace), env, mounts, hooks and additional GIDs applied. Unknown names are a 400 at
// create, before any container exists.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import type { TestDaemon } from '../../helpers/daemon.js';
import { docker, dockerOk } from '../../helpers/docker-cli.js';
import { daemonWithBusybox } from '../../helpers/container-fixture.js';
import { rawRequest } from '../../helpers/raw-request.js';

describe('CDI devices (--device vendor/class=name, --gpus)', () => {
  let d: TestDaemon;
  let dir: string;
  let specs: string;
  let data: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'skiff-cdi-e2e-'));
    specs = join(dir, 'cdi');
    data = join(dir, 'data');
    await mkdir(specs);
    await mkdir(data);
    await writeFile(join(data, 'hello'), 'from-the-cdi-mount\n');
    await writeFile(
      join(specs, 'fake.json'),
      JSON.stringify({
        cdiVersion: '0.6.0',
        kind: 'skiff.test/fake',
        devices: [
          {
            name: 'null0',
            containerEdits: {
              deviceNodes: [{ path: '/dev/fake0', hostPath: '/dev/null' }],
              env: ['FAKE_DEVICE=null0'],
            },
          },
        ],
        containerEdits: {
          mounts: [{ hostPath: data, containerPath: '/cdi-data', options: ['ro', 'bind'] }],
          additionalGIDs: [4242],
          hooks: [
            {
              hookName: 'createRuntime',
              path: '/bin/sh',
              args: ['sh', '-c', `echo ran > ${join(dir, 'hook-ran')}`],
            },
          ],
        },
      }),
    );
    await writeFile(
      join(specs, 'nvidia.yaml'),
      [
        'cdiVersion: "0.5.0"',
        'kind: nvidia.com/gpu',
        'devices:',
        '  - name: "0"',
        '    containerEdits:',
        '      deviceNodes:',
        '        - path: /dev/nvidia0',
        '          hostPath: /dev/null',
        '  - name: "1"',
        '    containerEdits:',
        '      deviceNodes:',
        '        - path: /dev/nvidia1',
        '          hostPath: /dev/zero',
        'containerEdits:',
        '  env:',
        '    - NVIDIA_FAKE=yes',
        '  deviceNodes:',
        '    - path: /dev/nvidiactl',
        '      hostPath: /dev/null',
      ].join('\n'),
    );
    d = await daemonWithBusybox({ config: { 'cdi-spec-dirs': [specs] } });
  });
  after(async () => {
    await d.cleanup();
    await rm(dir, { recursive: true, force: true });
  });

  it('--device vendor/class=name: the device node, env, mount, GIDs and hook', async () => {
    const out = await dockerOk(d, [
      'run',
      '--rm',
      '--device',
      'skiff.test/fake=null0',
      'busybox',
      'sh',
      '-c',
      'test -c /dev/fake0 && echo written > /dev/fake0 && echo "dev=ok env=$FAKE_DEVICE" && cat /cdi-data/hello && id -G',
    ]);
    const lines = out.trim().split('\n');
    assert.equal(lines[0], 'dev=ok env=null0');
    assert.equal(lines[1], 'from-the-cdi-mount');
    assert.ok(lines[2]?.split(' ').includes('4242'), `groups: ${lines[2] ?? ''}`);
    assert.equal((await readFile(join(dir, 'hook-ran'), 'utf8')).trim(), 'ran');
  });

  it('the CLI sends a cdi DeviceRequest, kept in HostConfig', async () => {
    const id = (
      await dockerOk(d, ['create', '--device', 'skiff.test/fake=null0', 'busybox', 'true'])
    ).trim();
    try {
      const reqs = JSON.parse(
        await dockerOk(d, ['inspect', '--format', '{{json .HostConfig.DeviceRequests}}', id]),
      ) as { Driver: string; Count: number; DeviceIDs: string[] }[];
      assert.equal(reqs.length, 1);
      assert.equal(reqs[0]?.Driver, 'cdi');
      assert.equal(reqs[0]?.Count, 0);
      assert.deepEqual(reqs[0]?.DeviceIDs, ['skiff.test/fake=null0']);
    } finally {
      await docker(d, ['rm', '-f', id]);
    }
  });

  it('--gpus all, a count and device= map to nvidia.com/gpu devices', async () => {
    const probe =
      'for n in 0 1; do test -c /dev/nvidia$n && echo -n "gpu$n "; done; test -c /dev/nvidiactl && echo -n "ctl "; echo "$NVIDIA_FAKE"';
    const run = async (gpus: string): Promise<string> =>
      (await dockerOk(d, ['run', '--rm', '--gpus', gpus, 'busybox', 'sh', '-c', probe])).trim();
    assert.equal(await run('all'), 'gpu0 gpu1 ctl yes');
    assert.equal(await run('1'), 'gpu0 ctl yes');
    assert.equal(await run('"device=1"'), 'gpu1 ctl yes');
    // /dev/nvidia1 is the host's /dev/zero.
    const zero = await dockerOk(d, [
      'run',
      '--rm',
      '--gpus',
      'all',
      'busybox',
      'sh',
      '-c',
      'head -c 4 /dev/nvidia1 | od -An -tx1',
    ]);
    assert.equal(zero.trim(), '00 00 00 00');
  });

  it('an unknown CDI name fails at create with a 400, leaving no container', async () => {
    const r = await docker(d, [
      'run',
      '--rm',
      '--name',
      'cdi-unknown',
      '--device',
      'skiff.test/fake=nope',
      'busybox',
      'true',
    ]);
    assert.notEqual(r.code, 0);
    assert.match(
      r.stderr,
      /CDI device injection failed: unresolvable CDI devices skiff\.test\/fake=nope/,
    );
    const ps = await dockerOk(d, ['ps', '-a', '-q', '--filter', 'name=cdi-unknown']);
    assert.equal(ps.trim(), '');
    const api = await rawRequest(
      d.socket,
      'POST',
      '/v1.47/containers/create',
      JSON.stringify({
        Image: 'busybox',
        Cmd: ['true'],
        HostConfig: {
          DeviceRequests: [{ Driver: 'cdi', DeviceIDs: ['skiff.test/fake=nope'] }],
        },
      }),
    );
    assert.equal(api.status, 400, api.body);
    const gpus = await docker(d, ['run', '--rm', '--gpus', '3', 'busybox', 'true']);
    assert.notEqual(gpus.code, 0);
    assert.match(gpus.stderr, /3 nvidia\.com\/gpu devices requested, 2 available/);
  });

  it('a spec removed between create and start is a clear start error', async () => {
    const gone = join(specs, 'gone.json');
    await writeFile(
      gone,
      JSON.stringify({
        cdiVersion: '0.6.0',
        kind: 'skiff.test/gone',
        devices: [{ name: 'x', containerEdits: { env: ['GONE=0'] } }],
      }),
    );
    const id = (
      await dockerOk(d, ['create', '--device', 'skiff.test/gone=x', 'busybox', 'true'])
    ).trim();
    try {
      await rm(gone);
      const r = await docker(d, ['start', id]);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /unresolvable CDI devices skiff\.test\/gone=x/);
    } finally {
      await docker(d, ['rm', '-f', id]);
    }
  });

  it('docker info shows the CDI spec directories in use', async () => {
    const out = await dockerOk(d, ['info', '--format', '{{json .CDISpecDirs}}']);
    assert.deepEqual(JSON.parse(out), [specs]);
  });
});
