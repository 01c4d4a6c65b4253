import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deviceCheck, setupChecks } from '../../../../src/rootless/preflight/setup-checks.js';
import { settingsFromEnv } from '../../../../src/rootless/rootlesskit/launcher-args.js';
import type { CheckResult } from '../../../../src/rootless/preflight/check-result.js';
import { fakeFacts, type FakeMachine } from './fake-facts.js';

const ALL_BINARIES = [
  'newuidmap',
  'newgidmap',
  'rootlesskit',
  'nsenter',
  'slirp4netns',
  'pasta',
  'vpnkit',
  'runc',
  'crun',
  'conmon',
  'fuse-overlayfs',
  'tini',
];

/** A machine where everything `skiff setup check` looks for through SystemFacts is in place. */
const GOOD: FakeMachine = {
  env: { XDG_RUNTIME_DIR: '/run/user/1000' },
  files: {
    '/etc/subuid': 'alice:100000:65536\n',
    '/etc/subgid': 'alice:100000:65536\n',
    '/proc/sys/user/max_user_namespaces': '63000\n',
    '/usr/share/containers/seccomp.json': '{}',
  },
  stats: { '/run/user/1000': { uid: 1000, mode: 0o700, isDirectory: true, isSocket: false } },
  binaries: ALL_BINARIES,
};

/** The checks that do not look at real devices (/dev/net/tun, /dev/fuse are read from this host). */
function withoutDevices(rs: readonly CheckResult[]): CheckResult[] {
  return rs.filter((r) => !r.id.startsWith('dev-'));
}

function byId(rs: readonly CheckResult[], id: string): CheckResult {
  const r = rs.find((x) => x.id === id);
  assert.ok(r, `no check ${id} in ${rs.map((x) => x.id).join(', ')}`);
  return r;
}

describe('setupChecks', () => {
  it('runs the daemon prerequisites, then the container ones, in a fixed order', async () => {
    const rs = await setupChecks(fakeFacts(GOOD), settingsFromEnv({}));
    assert.deepEqual(
      rs.map((r) => r.id),
      [
        'not-root',
        'newuidmap',
        'subuid',
        'subgid',
        'max-user-namespaces',
        'xdg-runtime-dir',
        'rootlesskit',
        'nsenter',
        'net-slirp4netns',
        'dev-net-tun',
        'oci-runtime',
        'conmon',
        'fuse-overlayfs',
        'dev-fuse',
        'seccomp-profile',
        'init',
      ],
    );
    for (const r of withoutDevices(rs)) assert.equal(r.status, 'ok', `${r.id}: ${r.detail}`);
    assert.equal(byId(rs, 'oci-runtime').detail, '/usr/bin/runc, /usr/bin/crun');
    assert.equal(byId(rs, 'init').detail, '/usr/bin/tini');
  });

  it('checks the binary and device of the chosen network driver only', async () => {
    const pasta = await setupChecks(
      fakeFacts(GOOD),
      settingsFromEnv({ SKIFF_ROOTLESSKIT_NET: 'pasta' }),
    );
    assert.equal(byId(pasta, 'net-pasta').detail, '/usr/bin/pasta');
    assert.equal(byId(pasta, 'dev-net-tun').title, '/dev/net/tun usable (pasta needs it)');
    assert.equal(
      pasta.some((r) => r.id === 'net-slirp4netns'),
      false,
    );

    const vpnkit = await setupChecks(
      fakeFacts(GOOD),
      settingsFromEnv({ SKIFF_ROOTLESSKIT_NET: 'vpnkit' }),
    );
    assert.equal(byId(vpnkit, 'net-vpnkit').status, 'ok');
    assert.equal(
      vpnkit.some((r) => r.id === 'dev-net-tun'),
      false,
    );

    const host = await setupChecks(
      fakeFacts(GOOD),
      settingsFromEnv({ SKIFF_ROOTLESSKIT_NET: 'host' }),
    );
    assert.equal(
      host.some((r) => r.id.startsWith('net-') || r.id === 'dev-net-tun'),
      false,
    );
  });

  it('fails without the network driver binary, warns without the optional tools', async () => {
    const rs = await setupChecks(
      fakeFacts({ ...GOOD, binaries: ['newuidmap', 'newgidmap', 'rootlesskit', 'nsenter'] }),
      settingsFromEnv({}),
    );
    const status = (id: string): string => byId(rs, id).status;
    assert.equal(status('net-slirp4netns'), 'fail');
    assert.equal(byId(rs, 'net-slirp4netns').detail, 'slirp4netns not found');
    assert.deepEqual(byId(rs, 'net-slirp4netns').fix, ['sudo apt-get install -y slirp4netns']);
    assert.equal(status('oci-runtime'), 'fail');
    assert.equal(byId(rs, 'oci-runtime').detail, 'neither runc nor crun is installed');
    assert.equal(status('conmon'), 'fail');
    assert.equal(status('fuse-overlayfs'), 'warn');
    assert.equal(status('init'), 'warn');
    assert.deepEqual(byId(rs, 'init').fix, ['sudo apt-get install -y tini']);
  });

  it('accepts crun alone, and catatonit or tini-static as the init', async () => {
    const base = ['newuidmap', 'newgidmap', 'rootlesskit', 'nsenter', 'conmon'];
    const crun = await setupChecks(
      fakeFacts({ ...GOOD, binaries: [...base, 'crun', 'catatonit'] }),
      settingsFromEnv({ SKIFF_ROOTLESSKIT_NET: 'host' }),
    );
    assert.equal(byId(crun, 'oci-runtime').detail, '/usr/bin/crun');
    assert.equal(byId(crun, 'init').detail, '/usr/bin/catatonit');
    const tiniStatic = await setupChecks(
      fakeFacts({ ...GOOD, binaries: [...base, 'runc', 'tini-static'] }),
      settingsFromEnv({ SKIFF_ROOTLESSKIT_NET: 'host' }),
    );
    assert.equal(byId(tiniStatic, 'init').status, 'ok');
  });

  it('warns that containers run without seccomp when the profile is missing', async () => {
    const files = { ...GOOD.files };
    delete files['/usr/share/containers/seccomp.json'];
    const rs = await setupChecks(fakeFacts({ ...GOOD, files }), settingsFromEnv({}));
    const r = byId(rs, 'seccomp-profile');
    assert.equal(r.status, 'warn');
    assert.match(r.detail, /without a seccomp filter/);
  });

  it('includes the failed prerequisites of the daemon (root, subids, runtime dir)', async () => {
    const rs = await setupChecks(
      fakeFacts({
        ...GOOD,
        user: { name: 'root', uid: 0, gid: 0, home: '/root' },
        files: { '/proc/self/uid_map': '0 0 4294967295\n' },
        env: {},
      }),
      settingsFromEnv({ SKIFF_ROOTLESSKIT_NET: 'host' }),
    );
    for (const id of ['not-root', 'subuid', 'subgid', 'max-user-namespaces', 'xdg-runtime-dir'])
      assert.equal(byId(rs, id).status, 'fail', id);
  });
});

describe('fix commands per distribution', () => {
  const distros: [string, string, string, string, string][] = [
    // name, os-release, newuidmap fix, runc fix, seccomp fix
    [
      'Debian',
      'ID=debian\nVERSION_ID="12"',
      'sudo apt-get install -y uidmap',
      'sudo apt-get install -y runc',
      'sudo apt-get install -y golang-github-containers-common',
    ],
    [
      'Ubuntu',
      'ID=ubuntu\nID_LIKE=debian\nVERSION_ID="24.04"',
      'sudo apt-get install -y uidmap',
      'sudo apt-get install -y runc',
      'sudo apt-get install -y golang-github-containers-common',
    ],
    [
      'Arch',
      'ID=arch',
      'sudo pacman -S --needed shadow',
      'sudo pacman -S --needed runc',
      'sudo pacman -S --needed containers-common',
    ],
    [
      'openSUSE',
      'ID="opensuse-tumbleweed"\nID_LIKE="opensuse suse"',
      'sudo zypper install -y shadow',
      'sudo zypper install -y runc',
      'sudo zypper install -y containers-common',
    ],
    [
      'Fedora',
      'ID=fedora\nVERSION_ID=40',
      'sudo dnf install -y shadow-utils',
      'sudo dnf install -y runc',
      'sudo dnf install -y containers-common',
    ],
    [
      'CentOS',
      'ID="centos"\nID_LIKE="rhel fedora"\nVERSION_ID="9"',
      'sudo yum install -y shadow-utils',
      'sudo yum install -y runc',
      'sudo yum install -y containers-common',
    ],
    [
      'RHEL',
      'ID="rhel"\nID_LIKE="fedora"\nVERSION_ID="9.4"',
      'sudo yum install -y shadow-utils',
      'sudo yum install -y runc',
      'sudo yum install -y containers-common',
    ],
    [
      'Gentoo',
      'ID=gentoo',
      "install uidmap (newuidmap/newgidmap) with your distribution's package manager",
      "install runc with your distribution's package manager",
      "install containers-common with your distribution's package manager",
    ],
  ];

  for (const [name, osRelease, uidmap, runc, seccomp] of distros)
    it(name, async () => {
      const rs = await setupChecks(
        fakeFacts({ ...GOOD, osRelease, binaries: [], files: {} }),
        settingsFromEnv({ SKIFF_ROOTLESSKIT_NET: 'host' }),
      );
      assert.deepEqual(byId(rs, 'newuidmap').fix, [uidmap]);
      assert.deepEqual(byId(rs, 'oci-runtime').fix, [runc]);
      assert.deepEqual(byId(rs, 'seccomp-profile').fix, [seccomp]);
    });
});

describe('deviceCheck', () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'skiff-devcheck-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('is ok for a path the user can read and write', async () => {
    const p = join(dir, 'tun');
    await writeFile(p, '');
    const r = await deviceCheck('dev-net-tun', p, 'slirp4netns needs it', 'fail');
    assert.deepEqual(
      [r.status, r.detail, r.title],
      ['ok', p, `${p} usable (slirp4netns needs it)`],
    );
  });

  it('a missing device: modprobe of its module, at the severity asked', async () => {
    const tun = await deviceCheck('dev-net-tun', join(dir, 'net', 'tun'), 'x', 'fail');
    assert.equal(tun.status, 'fail');
    assert.equal(tun.detail, `${join(dir, 'net', 'tun')} does not exist`);
    assert.deepEqual(tun.fix, ['sudo modprobe tun']);
    const fuse = await deviceCheck('dev-fuse', join(dir, 'fuse'), 'x', 'warn');
    assert.equal(fuse.status, 'warn');
    assert.deepEqual(fuse.fix, ['sudo modprobe fuse']);
  });

  it(
    'a device closed to the user: chmod now and a udev rule for later',
    { skip: process.getuid?.() === 0 ? 'root may read and write any file' : false },
    async () => {
      const p = join(dir, 'fuse');
      await writeFile(p, '');
      await chmod(p, 0o000);
      const r = await deviceCheck('dev-fuse', p, 'x', 'warn');
      assert.equal(r.status, 'warn');
      assert.match(r.detail, /is not read-writable for your user/);
      assert.deepEqual(r.fix, [
        `sudo chmod 666 ${p}`,
        `persist it: echo 'KERNEL=="fuse", MODE="0666"' | sudo tee /etc/udev/rules.d/99-rootless.rules`,
      ]);
    },
  );
});
