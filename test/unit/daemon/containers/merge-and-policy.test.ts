import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  mergeEnv,
  mergeImageConfig,
} from '../../../../src/daemon/containers/merge-image-config.js';
import {
  decideRestart,
  restartsWithDaemon,
} from '../../../../src/daemon/containers/restart-policy.js';
import { parseSignal } from '../../../../src/daemon/containers/signals.js';
import { validateName } from '../../../../src/daemon/containers/container-names.js';
import {
  hostsFile,
  resolvConf,
  parseResolvConf,
} from '../../../../src/daemon/containers/container-files.js';
import type { ContainerConfigInput } from '../../../../src/daemon/containers/create-request.js';
import type { ImageConfigView } from '../../../../src/daemon/containers/dependencies.js';

const image: ImageConfigView = {
  env: ['PATH=/bin', 'A=image'],
  cmd: ['sh'],
  entrypoint: ['/entry'],
  workingDir: '/w',
  user: 'nobody',
  volumes: ['/data'],
  exposedPorts: ['80/tcp'],
  labels: { a: 'image', b: 'image' },
  stopSignal: 'SIGQUIT',
};

function input(p: Partial<ContainerConfigInput>): ContainerConfigInput {
  return {
    hostname: '',
    domainname: '',
    user: '',
    attachStdin: false,
    attachStdout: true,
    attachStderr: true,
    tty: false,
    openStdin: false,
    stdinOnce: false,
    env: [],
    image: 'x',
    workingDir: '',
    labels: {},
    exposedPorts: [],
    volumes: [],
    networkDisabled: false,
    ...p,
  };
}

describe('mergeImageConfig (dockerd merge rules)', () => {
  it('fills unset fields from the image; env and labels merge by key', () => {
    const c = mergeImageConfig(input({ env: ['A=user'], labels: { b: 'user' } }), image);
    assert.deepEqual(c.env, ['PATH=/bin', 'A=user']);
    assert.deepEqual(c.labels, { a: 'image', b: 'user' });
    assert.deepEqual(c.entrypoint, ['/entry']);
    assert.deepEqual(c.cmd, ['sh']);
    assert.equal(c.user, 'nobody');
    assert.equal(c.workingDir, '/w');
    assert.equal(c.stopSignal, 'SIGQUIT');
    assert.deepEqual(c.volumes, ['/data']);
  });

  it("an overridden entrypoint drops the image's cmd; --entrypoint '' clears it", () => {
    assert.deepEqual(mergeImageConfig(input({ entrypoint: ['/other'] }), image).cmd, []);
    const cleared = mergeImageConfig(input({ entrypoint: [''], cmd: ['ls'] }), image);
    assert.deepEqual(cleared.entrypoint, []);
    assert.deepEqual(cleared.cmd, ['ls']);
  });

  it('mergeEnv keeps order and lets later keys win', () => {
    assert.deepEqual(mergeEnv(['A=1', 'B=2'], ['B=3', 'C=4']), ['A=1', 'B=3', 'C=4']);
  });
});

describe('restart policy (moby restart manager)', () => {
  const base = {
    exitCode: 1,
    manuallyStopped: false,
    restartCount: 0,
    previousDelayMs: 0,
    ranForMs: 50,
  };
  it('no / always / unless-stopped / on-failure', () => {
    assert.equal(
      decideRestart({ ...base, policy: { name: 'no', maximumRetryCount: 0 } }).restart,
      false,
    );
    assert.equal(
      decideRestart({ ...base, exitCode: 0, policy: { name: 'always', maximumRetryCount: 0 } })
        .restart,
      true,
    );
    assert.equal(
      decideRestart({
        ...base,
        manuallyStopped: true,
        policy: { name: 'unless-stopped', maximumRetryCount: 0 },
      }).restart,
      false,
    );
    assert.equal(
      decideRestart({ ...base, exitCode: 0, policy: { name: 'on-failure', maximumRetryCount: 0 } })
        .restart,
      false,
    );
    assert.equal(
      decideRestart({
        ...base,
        restartCount: 2,
        policy: { name: 'on-failure', maximumRetryCount: 2 },
      }).restart,
      false,
    );
    assert.equal(
      decideRestart({
        ...base,
        restartCount: 1,
        policy: { name: 'on-failure', maximumRetryCount: 2 },
      }).restart,
      true,
    );
  });

  it('back-off doubles from 100 ms up to a minute and resets after a 10 s run', () => {
    const p = { name: 'always', maximumRetryCount: 0 } as const;
    assert.equal(decideRestart({ ...base, policy: p }).delayMs, 100);
    assert.equal(decideRestart({ ...base, policy: p, previousDelayMs: 100 }).delayMs, 200);
    assert.equal(decideRestart({ ...base, policy: p, previousDelayMs: 40_000 }).delayMs, 60_000);
    assert.equal(
      decideRestart({ ...base, policy: p, previousDelayMs: 40_000, ranForMs: 11_000 }).delayMs,
      100,
    );
  });

  it('which containers come back with the daemon', () => {
    assert.equal(restartsWithDaemon({ name: 'always', maximumRetryCount: 0 }, 0, false), true);
    assert.equal(restartsWithDaemon({ name: 'always', maximumRetryCount: 0 }, 0, true), false);
    assert.equal(restartsWithDaemon({ name: 'on-failure', maximumRetryCount: 0 }, 0, false), false);
  });
});

describe('signals and names', () => {
  it('parses names and numbers, refuses the rest', () => {
    assert.deepEqual(parseSignal('TERM'), { name: 'SIGTERM', number: 15 });
    assert.deepEqual(parseSignal('sigkill'), { name: 'SIGKILL', number: 9 });
    assert.equal(parseSignal('1').name, 'SIGHUP');
    assert.throws(() => parseSignal('FOO'), /Invalid signal: FOO/);
    assert.throws(() => parseSignal('99'), /Invalid signal/);
  });

  it('container names', () => {
    assert.equal(validateName('/web-1'), 'web-1');
    assert.throws(() => validateName('a'), /Invalid container name/);
    assert.throws(() => validateName('bad name'), /only \[a-zA-Z0-9\]\[a-zA-Z0-9_.-\] are allowed/);
  });
});

describe('container /etc files', () => {
  it('hosts names the container in the holder network and adds extra hosts', () => {
    const text = hostsFile('abc', '', 'holder', ['db:10.0.0.5', 'gw:host-gateway']);
    assert.match(text, /^10\.0\.2\.100\tabc$/m);
    assert.match(text, /^10\.0\.0\.5\tdb$/m);
    assert.match(text, /^10\.0\.2\.2\tgw$/m);
  });

  it("resolv.conf uses slirp4netns's forwarder in the holder network, the host's servers otherwise, --dns first", () => {
    const host = parseResolvConf('nameserver 127.0.0.53\nsearch example.org\noptions ndots:2\n');
    assert.match(
      resolvConf(host, 'holder', { servers: [], search: [], options: [] }),
      /nameserver 10\.0\.2\.3/,
    );
    assert.match(
      resolvConf(host, 'host', { servers: [], search: [], options: [] }),
      /nameserver 127\.0\.0\.53/,
    );
    assert.match(
      resolvConf(host, 'holder', { servers: ['9.9.9.9'], search: [], options: [] }),
      /nameserver 9\.9\.9\.9/,
    );
    assert.match(
      resolvConf(host, 'holder', { servers: [], search: [], options: [] }),
      /search example\.org/,
    );
  });
});
