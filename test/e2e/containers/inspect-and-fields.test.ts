// Issue 10: inspect echoes what was asked, and no create field is accepted then ignored.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TestDaemon } from '../../helpers/daemon.js';
import { docker, dockerOk } from '../../helpers/docker-cli.js';
import { daemonWithBusybox } from '../../helpers/container-fixture.js';
import { rawRequest } from '../../helpers/raw-request.js';

interface CreateAnswer {
  status: number;
  id: string;
  warnings: string[];
  message: string;
}

async function create(
  d: TestDaemon,
  body: Record<string, unknown>,
  query = '',
): Promise<CreateAnswer> {
  const r = await rawRequest(
    d.socket,
    'POST',
    `/v1.45/containers/create${query}`,
    JSON.stringify({ Image: 'busybox', Cmd: ['true'], ...body }),
  );
  const j = JSON.parse(r.body) as { Id?: string; Warnings?: string[] | null; message?: string };
  return {
    status: r.status,
    id: j.Id ?? '',
    warnings: j.Warnings ?? [],
    message: j.message ?? '',
  };
}

async function inspect(d: TestDaemon, id: string): Promise<Record<string, unknown>> {
  const r = await rawRequest(d.socket, 'GET', `/v1.45/containers/${id}/json`);
  assert.equal(r.status, 200, r.body);
  return JSON.parse(r.body) as Record<string, unknown>;
}

function hostConfigOf(j: Record<string, unknown>): Record<string, unknown> {
  return j['HostConfig'] as Record<string, unknown>;
}

describe('inspect echoes what was asked (dockerd)', () => {
  let d: TestDaemon;
  before(async () => {
    d = await daemonWithBusybox();
  });
  after(async () => {
    await d.cleanup();
  });

  it('keeps HostConfig.Tmpfs as given and lists only --mount tmpfs under Mounts', async () => {
    const id = (
      await dockerOk(d, [
        'create',
        '--tmpfs',
        '/t:size=3M',
        '--mount',
        'type=tmpfs,dst=/m',
        'busybox',
        'true',
      ])
    ).trim();
    const j = await inspect(d, id);
    assert.deepEqual(hostConfigOf(j)['Tmpfs'], { '/t': 'size=3M' });
    assert.deepEqual(j['Mounts'], [
      { Type: 'tmpfs', Source: '', Destination: '/m', Mode: '', RW: true, Propagation: '' },
    ]);
  });

  it('echoes Isolation, VolumeDriver, DeviceCgroupRules and MacAddress', async () => {
    const c = await create(d, {
      MacAddress: '02:42:ac:11:00:99',
      HostConfig: {
        Isolation: 'default',
        VolumeDriver: 'local',
        DeviceCgroupRules: ['c 1:3 rwm'],
      },
    });
    assert.equal(c.status, 201, c.message);
    const j = await inspect(d, c.id);
    const hc = hostConfigOf(j);
    assert.equal(hc['Isolation'], 'default');
    assert.equal(hc['VolumeDriver'], 'local');
    assert.deepEqual(hc['DeviceCgroupRules'], ['c 1:3 rwm']);
    assert.equal((j['Config'] as Record<string, unknown>)['MacAddress'], '02:42:ac:11:00:99');
    const plain = hostConfigOf(await inspect(d, (await create(d, {})).id));
    assert.equal(plain['Isolation'], '');
  });

  it('refuses an isolation Linux does not have, as dockerd', async () => {
    const c = await create(d, { HostConfig: { Isolation: 'hyperv' } });
    assert.equal(c.status, 400);
    assert.match(c.message, /Invalid isolation: "hyperv" - linux only supports 'default'/);
  });

  it('names the runtime used and the cgroup namespace the container got', async () => {
    const info = JSON.parse((await rawRequest(d.socket, 'GET', '/info')).body) as {
      DefaultRuntime: string;
      CgroupVersion: string;
    };
    assert.ok(['runc', 'crun'].includes(info.DefaultRuntime));
    const hc = hostConfigOf(await inspect(d, (await create(d, {})).id));
    assert.equal(hc['Runtime'], info.DefaultRuntime);
    // This machine has cgroup v1 / hybrid: containers keep the host's cgroup namespace.
    assert.equal(hc['CgroupnsMode'], info.CgroupVersion === '2' ? 'private' : 'host');
    const other = info.DefaultRuntime === 'runc' ? 'crun' : 'runc';
    const bad = await create(d, { HostConfig: { Runtime: other } });
    assert.equal(bad.status, 400);
    assert.equal(bad.message, `Unknown runtime specified ${other}`);
  });

  it('puts HostConfig.Annotations (API 1.43) into the OCI spec and echoes them', async () => {
    const c = await create(d, {
      Cmd: ['sleep', '30'],
      HostConfig: { Annotations: { 'com.example.k': 'v' } },
    });
    assert.equal(c.status, 201, c.message);
    assert.deepEqual(hostConfigOf(await inspect(d, c.id))['Annotations'], {
      'com.example.k': 'v',
    });
    await dockerOk(d, ['start', c.id]);
    const spec = JSON.parse(
      await readFile(join(d.runtimeDir, 'skiff', 'containers', c.id, 'config.json'), 'utf8'),
    ) as { annotations?: Record<string, string> };
    assert.equal(spec.annotations?.['com.example.k'], 'v');
    await dockerOk(d, ['rm', '-f', c.id]);
  });
});

describe('fields accepted then ignored: act or refuse (dockerd)', () => {
  let d: TestDaemon;
  before(async () => {
    d = await daemonWithBusybox();
  });
  after(async () => {
    await d.cleanup();
  });

  it('warns that label= and apparmor= security options have no effect rootless', async () => {
    const c = await create(d, {
      HostConfig: { SecurityOpt: ['label=disable', 'apparmor=unconfined'] },
    });
    assert.equal(c.status, 201, c.message);
    assert.ok(c.warnings.some((w) => w.includes('label=disable') && w.includes('SELinux')));
    assert.ok(c.warnings.some((w) => w.includes('apparmor=unconfined') && w.includes('AppArmor')));
    const r = await docker(d, ['create', '--security-opt', 'label=disable', 'busybox', 'true']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /WARNING: .*SELinux/);
  });

  it('unmasks the system paths with systempaths=unconfined', async () => {
    const masked = 'grep -c " /proc/timer_list " /proc/self/mountinfo || true';
    const dflt = await dockerOk(d, ['run', '--rm', 'busybox', 'sh', '-c', masked]);
    assert.equal(dflt.trim(), '1');
    const c = await create(d, {
      Cmd: ['sh', '-c', masked],
      HostConfig: { SecurityOpt: ['systempaths=unconfined'] },
    });
    assert.equal(c.status, 201, c.message);
    assert.equal((await dockerOk(d, ['start', '-a', c.id])).trim(), '0');
    // The docker CLI sends the same as empty MaskedPaths/ReadonlyPaths.
    const cli = await dockerOk(d, [
      'run',
      '--rm',
      '--security-opt',
      'systempaths=unconfined',
      'busybox',
      'sh',
      '-c',
      masked,
    ]);
    assert.equal(cli.trim(), '0');
  });

  it('refuses DeviceRequests (--gpus) with a 400 naming CDI when no CDI spec exists', async () => {
    const c = await create(d, {
      HostConfig: { DeviceRequests: [{ Driver: '', Count: -1, Capabilities: [['gpu']] }] },
    });
    assert.equal(c.status, 400);
    assert.match(
      c.message,
      /skiff supports GPUs through CDI specs in \/etc\/cdi or \/var\/run\/cdi; none found/,
    );
    const r = await docker(d, ['run', '--rm', '--gpus', 'all', 'busybox', 'true']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /CDI/);
  });

  it('gives a NetworkDisabled container no network, as --network none', async () => {
    const c = await create(d, {
      Cmd: ['sh', '-c', "sed -n '3,$p' /proc/net/dev | cut -d: -f1 | tr -d ' '"],
      NetworkDisabled: true,
    });
    assert.equal(c.status, 201, c.message);
    assert.equal((await dockerOk(d, ['start', '-a', c.id])).trim(), 'lo');
  });

  it('warns about CgroupParent, Blkio device limits and DeviceCgroupRules without delegation', async () => {
    const info = JSON.parse((await rawRequest(d.socket, 'GET', '/info')).body) as {
      CgroupVersion: string;
    };
    const c = await create(d, {
      HostConfig: {
        CgroupParent: 'mygroup',
        BlkioDeviceReadBps: [{ Path: '/dev/null', Rate: 1048576 }],
        BlkioWeightDevice: [{ Path: '/dev/null', Weight: 300 }],
        DeviceCgroupRules: ['c 1:3 rwm'],
      },
    });
    assert.equal(c.status, 201, c.message);
    if (info.CgroupVersion === '1') {
      assert.ok(c.warnings.some((w) => w.includes('CgroupParent "mygroup" discarded')));
      assert.ok(c.warnings.some((w) => w.includes('Block I/O BPS read limit discarded')));
      assert.ok(c.warnings.some((w) => w.includes('Weight-device discarded')));
      assert.ok(c.warnings.some((w) => w.includes('DeviceCgroupRules discarded')));
    }
    const hc = hostConfigOf(await inspect(d, c.id));
    assert.equal(hc['CgroupParent'], 'mygroup');
    assert.deepEqual(hc['BlkioDeviceReadBps'], [{ Path: '/dev/null', Rate: 1048576 }]);
    assert.deepEqual(hc['BlkioWeightDevice'], [{ Path: '/dev/null', Weight: 300 }]);
  });

  it('refuses a create platform the image does not match with 404, as dockerd', async () => {
    const arch = process.arch === 'x64' ? 'amd64' : process.arch;
    const other = arch === 'arm64' ? 'amd64' : 'arm64';
    const bad = await create(d, {}, `?platform=linux/${other}`);
    assert.equal(bad.status, 404);
    assert.equal(
      bad.message,
      `image with reference busybox was found but does not match the specified platform: wanted linux/${other}, actual: linux/${arch}`,
    );
    const good = await create(d, {}, `?platform=linux/${arch}`);
    assert.equal(good.status, 201, good.message);
  });
});
