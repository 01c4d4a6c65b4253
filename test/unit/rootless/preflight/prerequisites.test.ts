import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  checkIdMapBinaries,
  checkNotRoot,
  checkRuntimeDir,
  checkSubids,
  checkUserNamespaces,
  isInitialUserNamespace,
} from '../../../../src/rootless/preflight/prerequisites.js';
import { fakeFacts } from './fake-facts.js';

describe('checkNotRoot', () => {
  it('fails for real root and passes for root inside a user namespace', async () => {
    const realRoot = fakeFacts({
      user: { name: 'root', uid: 0, gid: 0, home: '/root' },
      files: { '/proc/self/uid_map': '         0          0 4294967295\n' },
    });
    const r = await checkNotRoot(realRoot);
    assert.equal(r.status, 'fail');
    assert.match(r.fix?.[0] ?? '', /run skiff as a normal user/);
    const nsRoot = fakeFacts({
      user: { name: 'root', uid: 0, gid: 0, home: '/root' },
      files: { '/proc/self/uid_map': '0 1000 1\n1 200000 65536\n' },
    });
    assert.equal((await checkNotRoot(nsRoot)).status, 'ok');
    assert.equal(isInitialUserNamespace('0 1000 1'), false);
  });
});

describe('checkSubids', () => {
  it('is ok with ≥ 65536 ids, matched by name or by uid', async () => {
    const byName = fakeFacts({ files: { '/etc/subuid': 'alice:100000:65536\n' } });
    const r = await checkSubids(byName, 'subuid');
    assert.equal(r.status, 'ok');
    assert.equal(r.detail, 'alice:100000:65536');
    const byUid = fakeFacts({ files: { '/etc/subgid': '# comment\n1000:300000:65536\n' } });
    assert.equal((await checkSubids(byUid, 'subgid')).status, 'ok');
  });

  it("fails without an entry, with a usermod fix whose range overlaps no one else's", async () => {
    const sys = fakeFacts({
      files: {
        '/etc/subuid': 'bob:100000:65536\ncarol:165536:65536\n',
        '/etc/subgid': 'bob:100000:65536\ndave:400000:1000\n',
      },
    });
    const r = await checkSubids(sys, 'subuid');
    assert.equal(r.status, 'fail');
    assert.equal(r.detail, 'no entry for alice in /etc/subuid');
    // The highest end is 401000 (dave, in subgid): the next 65536-aligned start is 458752.
    assert.deepEqual(r.fix, [
      'sudo usermod --add-subuids 458752-524287 --add-subgids 458752-524287 alice',
    ]);
  });

  it('fails with too few ids and says how many there are', async () => {
    const sys = fakeFacts({ files: { '/etc/subuid': 'alice:100000:1000\n' } });
    const r = await checkSubids(sys, 'subuid');
    assert.equal(r.status, 'fail');
    assert.equal(r.detail, 'only 1000 ids for alice in /etc/subuid');
  });
});

describe('checkUserNamespaces', () => {
  it('is ok where the sysctls allow user namespaces', async () => {
    const sys = fakeFacts({
      files: {
        '/proc/sys/user/max_user_namespaces': '63000\n',
        '/proc/sys/kernel/unprivileged_userns_clone': '1\n',
      },
    });
    const rs = await checkUserNamespaces(sys);
    assert.deepEqual(
      rs.map((r) => [r.id, r.status]),
      [
        ['max-user-namespaces', 'ok'],
        ['unprivileged-userns-clone', 'ok'],
      ],
    );
  });

  it('names each sysctl that forbids them, with the sysctl command that fixes it', async () => {
    const sys = fakeFacts({
      files: {
        '/proc/sys/user/max_user_namespaces': '0\n',
        '/proc/sys/kernel/unprivileged_userns_clone': '0\n',
        '/proc/sys/kernel/apparmor_restrict_unprivileged_userns': '1\n',
      },
    });
    const rs = await checkUserNamespaces(sys);
    assert.deepEqual(
      rs.map((r) => r.status),
      ['fail', 'fail', 'fail'],
    );
    assert.match(rs[0]?.fix?.[0] ?? '', /^sudo sysctl -w user\.max_user_namespaces=\d+$/);
    assert.equal(rs[1]?.fix?.[0], 'sudo sysctl -w kernel.unprivileged_userns_clone=1');
    assert.equal(rs[2]?.fix?.[0], 'sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0');
  });

  it('fails on a kernel without user namespaces', async () => {
    const rs = await checkUserNamespaces(fakeFacts());
    assert.equal(rs[0]?.status, 'fail');
    assert.match(rs[0]?.detail ?? '', /kernel without user namespaces/);
  });
});

describe('checkRuntimeDir', () => {
  const dir = '/run/user/1000';
  const good = { uid: 1000, mode: 0o700, isDirectory: true, isSocket: false };

  it('is ok for a 0700 directory the user owns', async () => {
    const sys = fakeFacts({ env: { XDG_RUNTIME_DIR: dir }, stats: { [dir]: good } });
    assert.equal((await checkRuntimeDir(sys)).status, 'ok');
  });

  it("fails when unset, missing, someone else's or too open, each with its fix", async () => {
    const unset = await checkRuntimeDir(fakeFacts());
    assert.equal(unset.detail, 'XDG_RUNTIME_DIR is not set');
    assert.match(
      unset.fix?.[1] ?? '',
      /^sudo install -d -m 0700 -o alice -g 1000 \/run\/user\/1000$/,
    );
    const missing = await checkRuntimeDir(fakeFacts({ env: { XDG_RUNTIME_DIR: dir } }));
    assert.equal(missing.detail, `${dir} does not exist`);
    const foreign = await checkRuntimeDir(
      fakeFacts({ env: { XDG_RUNTIME_DIR: dir }, stats: { [dir]: { ...good, uid: 0 } } }),
    );
    assert.equal(foreign.detail, `${dir} is owned by uid 0, not 1000`);
    const open = await checkRuntimeDir(
      fakeFacts({ env: { XDG_RUNTIME_DIR: dir }, stats: { [dir]: { ...good, mode: 0o755 } } }),
    );
    assert.equal(open.status, 'fail');
    assert.equal(open.detail, `${dir} has mode 0755, not 0700`);
    assert.deepEqual(open.fix, [`chmod 0700 ${dir}`]);
  });
});

describe('checkIdMapBinaries', () => {
  it('gives the install command of the distribution', () => {
    const fedora = fakeFacts({ binaries: [], osRelease: 'ID=fedora\nVERSION_ID=40' });
    const r = checkIdMapBinaries(fedora);
    assert.equal(r.status, 'fail');
    assert.equal(r.detail, 'newuidmap and newgidmap not installed');
    assert.deepEqual(r.fix, ['sudo dnf install -y shadow-utils']);
    assert.deepEqual(checkIdMapBinaries(fakeFacts({ binaries: ['newgidmap'] })).fix, [
      'sudo apt-get install -y uidmap',
    ]);
  });
});
