// Behaviour the unit-test helper found wrong, fixed; each assertion failed before its fix.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseDaemonJson } from '../../../../src/skiffd/config/load-config.js';
import { defaultPaths } from '../../../../src/skiffd/config/default-paths.js';
import { parseListenAddress } from '../../../../src/api/listeners.js';
import { parseSubidFile } from '../../../../src/rootless/preflight/subid.js';
import { parseOsRelease } from '../../../../src/rootless/preflight/distro.js';
import { checkUserNamespaces } from '../../../../src/rootless/preflight/prerequisites.js';
import { fakeFacts } from '../../rootless/preflight/fake-facts.js';

const FILE = '/h/.config/skiff/daemon.json';

describe('fixed after review', () => {
  it('daemon.json keys named like Object.prototype members are unknown keys', () => {
    for (const key of ['toString', '__proto__', 'constructor'])
      assert.throws(
        () => parseDaemonJson(`{"${key}": 1}`, FILE),
        /don't match any configuration option/,
        key,
      );
  });

  it('a default-ulimits entry that is not an object names the key', () => {
    assert.throws(
      () => parseDaemonJson('{"default-ulimits": {"nofile": null}}', FILE),
      /invalid value for "default-ulimits\.nofile"/,
    );
  });

  it('an empty XDG_RUNTIME_DIR never gives relative paths', () => {
    const p = defaultPaths({ XDG_RUNTIME_DIR: '' }, '/home/u');
    assert.ok(p.socketPath.startsWith('/run/user/'), p.socketPath);
  });

  it('tcp:// without a host listens on localhost, as dockerd', () => {
    assert.deepEqual(parseListenAddress('tcp://:2376'), {
      kind: 'tcp',
      host: '127.0.0.1',
      port: 2376,
    });
  });

  it('subid fields must be digits', () => {
    const u = { name: 'alice', uid: 1000 };
    assert.deepEqual(parseSubidFile('alice::65536\nalice:0x10:65536\n', u), []);
  });

  it('single-quoted os-release values are unquoted', () => {
    assert.equal(parseOsRelease("ID='fedora'").family, 'fedora');
  });

  it('a max_user_namespaces that is not a number fails', async () => {
    const rs = await checkUserNamespaces(
      fakeFacts({ files: { '/proc/sys/user/max_user_namespaces': 'garbage\n' } }),
    );
    assert.equal(rs[0]?.status, 'fail');
  });
});
