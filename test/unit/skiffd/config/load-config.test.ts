import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseDaemonJson } from '../../../../src/skiffd/config/load-config.js';
import { parseDaemonFlags } from '../../../../src/skiffd/config/daemon-flags.js';
import { InvalidArgumentError } from '../../../../src/errors.js';

const FILE = '/home/u/.config/skiff/daemon.json';

describe('parseDaemonJson', () => {
  it("refuses unknown keys with dockerd's message, naming them all", () => {
    assert.throws(
      () => parseDaemonJson('{"debug": true, "no-such": 1, "other": 2}', FILE),
      (e: unknown) =>
        e instanceof InvalidArgumentError &&
        e.message ===
          `unable to configure the daemon with file ${FILE}: the following directives don't match any configuration option: no-such, other`,
    );
  });

  it('names the key of a bad value', () => {
    assert.throws(
      () => parseDaemonJson('{"max-concurrent-downloads": "many"}', FILE),
      /unable to configure the daemon with file .*: .*max-concurrent-downloads/,
    );
    assert.throws(
      () => parseDaemonJson('{"max-concurrent-downloads": 0}', FILE),
      /max-concurrent-downloads/,
    );
  });

  it('refuses malformed JSON and non-objects', () => {
    assert.throws(() => parseDaemonJson('{"debug": ', FILE), InvalidArgumentError);
    assert.throws(() => parseDaemonJson('[1]', FILE), /must hold a JSON object/);
  });

  it("maps Docker's key names onto the config", () => {
    const { patch } = parseDaemonJson(
      '{"max-concurrent-downloads": 5, "insecure-registries": ["r:5000"], "debug": true}',
      FILE,
    );
    assert.equal(patch.maxConcurrentDownloads, 5);
    assert.deepEqual(patch.insecureRegistries, ['r:5000']);
    assert.equal(patch.logLevel, 'debug');
  });
});

describe('parseDaemonFlags', () => {
  it("takes dockerd's flag names; a bare socket path becomes unix://", () => {
    const { patch } = parseDaemonFlags([
      '-H',
      '/tmp/x.sock',
      '--host',
      'tcp://127.0.0.1:2376',
      '-D',
    ]);
    assert.deepEqual(patch.hosts, ['unix:///tmp/x.sock', 'tcp://127.0.0.1:2376']);
    assert.equal(patch.logLevel, 'debug');
  });

  it('refuses unknown flags and a bad holder pid', () => {
    assert.throws(() => parseDaemonFlags(['--bogus']), InvalidArgumentError);
    assert.throws(() => parseDaemonFlags(['--holder-pid', 'x']), /--holder-pid must be a pid/);
    assert.equal(parseDaemonFlags(['--holder-pid', '42']).holderPid, 42);
  });
});
