import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseDaemonFlags } from '../../../../src/skiffd/config/daemon-flags.js';
import { InvalidArgumentError } from '../../../../src/errors.js';

describe('parseDaemonFlags', () => {
  it('no flags: an empty patch and no holder pid', () => {
    const f = parseDaemonFlags([]);
    assert.deepEqual(f.patch, {});
    assert.equal('holderPid' in f, false);
  });

  it("maps each of dockerd's flags onto the config", () => {
    const { patch } = parseDaemonFlags([
      '--data-root',
      '/srv/skiff',
      '--exec-root=/run/user/1000/skiff2',
      '--config-file',
      '/etc/skiff.json',
      '--log-level',
      'warn',
      '--storage-driver',
      'fuse-overlayfs',
      '--default-runtime',
      'crun',
      '--insecure-registry',
      'r1:5000',
      '--insecure-registry',
      'r2:5000',
      '--registry-mirror',
      'https://mirror.example/',
      '--live-restore',
      '--experimental',
      '--cdi-spec-dir',
      '/etc/cdi',
      '--cdi-spec-dir=/srv/cdi',
    ]);
    assert.deepEqual(patch, {
      dataRoot: '/srv/skiff',
      execRoot: '/run/user/1000/skiff2',
      configFile: '/etc/skiff.json',
      logLevel: 'warn',
      storageDriver: 'fuse-overlayfs',
      runtime: 'crun',
      insecureRegistries: ['r1:5000', 'r2:5000'],
      registryMirrors: ['https://mirror.example'],
      liveRestore: true,
      experimental: true,
      cdiSpecDirs: ['/etc/cdi', '/srv/cdi'],
    });
  });

  it('takes the short forms -H, -D, -l and -s; -s overlay means overlay2', () => {
    const { patch } = parseDaemonFlags([
      '-H',
      'unix:///run/a.sock',
      '-l',
      'error',
      '-s',
      'overlay',
    ]);
    assert.deepEqual(patch.hosts, ['unix:///run/a.sock']);
    assert.equal(patch.logLevel, 'error');
    assert.equal(patch.storageDriver, 'overlay2');
  });

  it('-H may repeat, keeps its order, and turns only absolute paths into unix://', () => {
    const { patch } = parseDaemonFlags([
      '--host=tcp://0.0.0.0:2376',
      '-H',
      '/run/user/1000/docker.sock',
      '-H',
      'unix:///tmp/b.sock',
    ]);
    assert.deepEqual(patch.hosts, [
      'tcp://0.0.0.0:2376',
      'unix:///run/user/1000/docker.sock',
      'unix:///tmp/b.sock',
    ]);
  });

  it('--debug wins over --log-level, whatever the order', () => {
    assert.equal(parseDaemonFlags(['-D', '--log-level', 'error']).patch.logLevel, 'debug');
    assert.equal(parseDaemonFlags(['--log-level', 'error', '--debug']).patch.logLevel, 'debug');
  });

  it('refuses bad values, naming the flag', () => {
    assert.throws(
      () => parseDaemonFlags(['--data-root', 'relative/dir']),
      /^InvalidArgumentError: invalid value for "--data-root": "relative\/dir" \(expected an absolute path\)$/,
    );
    assert.throws(
      () => parseDaemonFlags(['-l', 'loud']),
      /invalid value for "--log-level": "loud" \(expected one of trace, debug, info, warn, error, fatal\)/,
    );
    assert.throws(
      () => parseDaemonFlags(['-s', 'btrfs']),
      /invalid value for "--storage-driver": "btrfs"/,
    );
    assert.throws(
      () => parseDaemonFlags(['--default-runtime', 'youki']),
      /invalid value for "--default-runtime": "youki" \(expected one of runc, crun\)/,
    );
    assert.throws(
      () => parseDaemonFlags(['--registry-mirror', 'ftp://m.example']),
      /unsupported scheme "ftp:" in "ftp:\/\/m\.example"/,
    );
  });

  it('refuses unknown flags, positional arguments and a flag without its value', () => {
    for (const argv of [['--bogus'], ['-x'], ['extra'], ['--data-root'], ['-H']])
      assert.throws(() => parseDaemonFlags(argv), InvalidArgumentError, argv.join(' '));
  });

  it('--holder-pid takes a positive integer', () => {
    assert.equal(parseDaemonFlags(['--holder-pid=4242']).holderPid, 4242);
    for (const bad of ['0', '-1', '1.5', 'abc', ''])
      assert.throws(
        () => parseDaemonFlags([`--holder-pid=${bad}`]),
        /^InvalidArgumentError: --holder-pid must be a pid$/,
        bad,
      );
  });
});
