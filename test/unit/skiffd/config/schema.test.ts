import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { IGNORED_KEYS, SCHEMA } from '../../../../src/skiffd/config/schema.js';
import { parseDaemonJson } from '../../../../src/skiffd/config/load-config.js';
import { InvalidArgumentError } from '../../../../src/errors.js';

const FILE = '/home/alice/.config/skiff/daemon.json';

/** One key through its validator, as parseDaemonJson calls it. */
function parse(key: string, value: unknown): ReturnType<NonNullable<(typeof SCHEMA)[string]>> {
  const parser = SCHEMA[key];
  assert.ok(parser, `no key ${key}`);
  return parser(value, key);
}

function fileError(json: string): string {
  try {
    parseDaemonJson(json, FILE);
  } catch (e) {
    assert.ok(e instanceof InvalidArgumentError);
    return e.message;
  }
  assert.fail(`accepted: ${json}`);
}

describe('every daemon.json key', () => {
  it('names itself when given a value of the wrong type', () => {
    for (const key of Object.keys(SCHEMA))
      for (const value of [null, 12.5, { nested: [] }])
        assert.throws(
          () => parse(key, value),
          (e: unknown) =>
            e instanceof InvalidArgumentError && e.message.startsWith(`invalid value for "${key}`),
          `${key}: ${JSON.stringify(value)}`,
        );
  });

  it('is not also in the ignored set', () => {
    for (const key of IGNORED_KEYS) assert.equal(Object.hasOwn(SCHEMA, key), false, key);
  });
});

describe('daemon.json values, through parseDaemonJson', () => {
  it('prefixes the error with the file and shows the value given', () => {
    assert.equal(
      fileError('{"mtu": "1500"}'),
      `unable to configure the daemon with file ${FILE}: invalid value for "mtu": "1500" (expected an integer between 68 and 65535)`,
    );
    assert.equal(
      fileError('{"live-restore": "yes"}'),
      `unable to configure the daemon with file ${FILE}: invalid value for "live-restore": "yes" (expected true or false)`,
    );
    assert.equal(
      fileError('{"dns": "8.8.8.8"}'),
      `unable to configure the daemon with file ${FILE}: invalid value for "dns": "8.8.8.8" (expected a list of strings)`,
    );
  });

  it('reports unknown keys before looking at any value', () => {
    assert.match(
      fileError('{"mtu": "bad", "no-such-key": 1}'),
      /the following directives don't match any configuration option: no-such-key$/,
    );
  });

  it('accepts the keys Docker has and a rootless engine ignores, and lists them', () => {
    const { patch, ignoredKeys } = parseDaemonJson(
      '{"iptables": false, "debug": true, "userland-proxy": false, "bip": "10.1.0.1/24"}',
      FILE,
    );
    assert.deepEqual(ignoredKeys, ['iptables', 'userland-proxy', 'bip']);
    assert.deepEqual(patch, { logLevel: 'debug' });
  });

  it('an empty object is an empty patch', () => {
    assert.deepEqual(parseDaemonJson('{}', FILE), { patch: {}, ignoredKeys: [] });
  });
});

describe('key by key', () => {
  it('debug: true sets the debug level, false leaves the level alone', () => {
    assert.deepEqual(parse('debug', true), { logLevel: 'debug' });
    assert.deepEqual(parse('debug', false), {});
  });

  it('storage-driver: overlay2, fuse-overlayfs and vfs; overlay is overlay2', () => {
    assert.deepEqual(parse('storage-driver', 'overlay'), { storageDriver: 'overlay2' });
    assert.deepEqual(parse('storage-driver', 'vfs'), { storageDriver: 'vfs' });
    assert.throws(
      () => parse('storage-driver', 'btrfs'),
      /expected one of overlay2, overlay, fuse-overlayfs, vfs/,
    );
  });

  it('runtime and default-runtime both choose the OCI runtime', () => {
    assert.deepEqual(parse('default-runtime', 'crun'), { runtime: 'crun' });
    assert.deepEqual(parse('runtime', 'runc'), { runtime: 'runc' });
  });

  it('registry-mirrors: http(s) URLs, trailing slashes dropped', () => {
    assert.deepEqual(parse('registry-mirrors', ['https://m.example/', 'http://10.0.0.1:5000//']), {
      registryMirrors: ['https://m.example', 'http://10.0.0.1:5000'],
    });
    assert.throws(
      () => parse('registry-mirrors', ['m.example']),
      /^InvalidArgumentError: invalid value for "registry-mirrors": invalid mirror: "m\.example" is not a valid URI$/,
    );
    assert.throws(
      () => parse('registry-mirrors', ['ftp://m.example']),
      /invalid mirror: unsupported scheme "ftp:" in "ftp:\/\/m\.example"/,
    );
  });

  it('default-address-pools: CIDR bases and prefix sizes 1–32', () => {
    assert.deepEqual(parse('default-address-pools', [{ base: '10.10.0.0/16', size: 24 }]), {
      defaultAddressPools: [{ base: '10.10.0.0/16', size: 24 }],
    });
    assert.throws(
      () => parse('default-address-pools', [{ base: '10.10.0.0', size: 24 }]),
      /invalid value for "default-address-pools\[0\]\.base": 10\.10\.0\.0/,
    );
    assert.throws(
      () => parse('default-address-pools', [{ base: '10.10.0.0/16', size: 33 }]),
      /invalid value for "default-address-pools\[0\]\.size": 33/,
    );
    assert.throws(
      () => parse('default-address-pools', [{ base: '10.10.0.0/16', size: 24 }, 'x']),
      /invalid value for "default-address-pools\[1\]"/,
    );
  });

  it('log-driver: json-file, local or none', () => {
    assert.deepEqual(parse('log-driver', 'local'), { logDriver: 'local' });
    assert.throws(() => parse('log-driver', 'journald'), /expected one of json-file, local, none/);
  });

  it('log-opts: validates max-size and max-file, refuses unknown options', () => {
    const opts = { 'max-size': '10m', 'max-file': '3', compress: 'true', tag: '{{.Name}}' };
    assert.deepEqual(parse('log-opts', opts), { logOpts: opts });
    assert.throws(
      () => parse('log-opts', { 'max-size': 'ten' }),
      /invalid size: 'ten' for log-opts\.max-size/,
    );
    assert.throws(
      () => parse('log-opts', { 'max-file': '0' }),
      /invalid value for "log-opts\.max-file"/,
    );
    assert.throws(
      () => parse('log-opts', { 'syslog-address': 'udp://x' }),
      /^InvalidArgumentError: invalid value for "log-opts": unknown log opt 'syslog-address'$/,
    );
  });

  it('default-shm-size: a human size in bytes', () => {
    assert.deepEqual(parse('default-shm-size', '128M'), { defaultShmSize: 128 * 1024 * 1024 });
    assert.deepEqual(parse('default-shm-size', '1g'), { defaultShmSize: 1024 ** 3 });
    assert.throws(
      () => parse('default-shm-size', 'lots'),
      /invalid size: 'lots' for default-shm-size/,
    );
  });

  it('numbers within their bounds: mtu, shutdown-timeout, max-concurrent-*, max-download-attempts', () => {
    assert.deepEqual(parse('mtu', 1400), { mtu: 1400 });
    assert.throws(() => parse('mtu', 67), /between 68 and 65535/);
    assert.deepEqual(parse('shutdown-timeout', 0), { shutdownTimeout: 0 });
    assert.throws(() => parse('shutdown-timeout', -1), /between 0 and 3600/);
    assert.deepEqual(parse('max-concurrent-uploads', 64), { maxConcurrentUploads: 64 });
    assert.deepEqual(parse('max-download-attempts', 100), { maxDownloadAttempts: 100 });
    assert.throws(() => parse('max-download-attempts', 101), /between 1 and 100/);
  });

  it('host-gateway-ip takes an IPv4 or IPv6 address; allow-host-loopback a boolean', () => {
    assert.deepEqual(parse('host-gateway-ip', '192.168.1.10'), { hostGatewayIp: '192.168.1.10' });
    assert.deepEqual(parse('host-gateway-ip', 'fd00::1'), { hostGatewayIp: 'fd00::1' });
    assert.throws(
      () => parse('host-gateway-ip', 'host.lan'),
      /^InvalidArgumentError: invalid value for "host-gateway-ip": invalid IP address: host.lan$/,
    );
    assert.deepEqual(parse('allow-host-loopback', true), { allowHostLoopback: true });
    assert.deepEqual(parseDaemonJson('{"allow-host-loopback": false}', FILE).patch, {
      allowHostLoopback: false,
    });
    assert.throws(() => parse('allow-host-loopback', 'yes'), /allow-host-loopback/);
  });

  it("default-ulimits: Docker's {Name, Soft, Hard} objects, -1 for unlimited", () => {
    assert.deepEqual(
      parse('default-ulimits', {
        nofile: { Name: 'nofile', Soft: 1024, Hard: 4096 },
        core: { Name: 'core', Soft: -1, Hard: -1 },
      }),
      { defaultUlimits: { nofile: { soft: 1024, hard: 4096 }, core: { soft: -1, hard: -1 } } },
    );
    assert.throws(
      () => parse('default-ulimits', { nofile: { Soft: '1024', Hard: 4096 } }),
      /invalid value for "default-ulimits\.nofile\.Soft": "1024"/,
    );
  });

  it('userns-mode: "", host, keep-id[:uid=N,gid=N]; anything else names the key', () => {
    assert.deepEqual(parse('userns-mode', 'keep-id'), { usernsMode: 'keep-id' });
    assert.deepEqual(parse('userns-mode', 'keep-id:uid=1,gid=2'), {
      usernsMode: 'keep-id:uid=1,gid=2',
    });
    assert.deepEqual(parse('userns-mode', ''), { usernsMode: '' });
    assert.throws(
      () => parse('userns-mode', 'auto'),
      /invalid value for "userns-mode": invalid USER NS mode: auto/,
    );
  });

  it('cdi-spec-dirs: a list of absolute paths', () => {
    assert.deepEqual(parse('cdi-spec-dirs', ['/etc/cdi', '/srv/cdi']), {
      cdiSpecDirs: ['/etc/cdi', '/srv/cdi'],
    });
    assert.deepEqual(parse('cdi-spec-dirs', []), { cdiSpecDirs: [] });
    assert.throws(
      () => parse('cdi-spec-dirs', ['/etc/cdi', 'cdi']),
      /invalid value for "cdi-spec-dirs\[1\]": "cdi" \(expected an absolute path\)/,
    );
    assert.throws(() => parse('cdi-spec-dirs', '/etc/cdi'), /expected a list of strings/);
  });

  it('data-root, exec-root and init-path must be absolute', () => {
    assert.deepEqual(parse('data-root', '/srv/skiff'), { dataRoot: '/srv/skiff' });
    assert.deepEqual(parse('init-path', '/usr/bin/tini'), { initPath: '/usr/bin/tini' });
    assert.throws(() => parse('exec-root', 'run/skiff'), /expected an absolute path/);
  });

  it('tls keys combine into one setting; tlsverify holds whatever the key order', () => {
    const a = parseDaemonJson(
      '{"tlsverify": true, "tlscacert": "/c/ca.pem", "tlscert": "/c/cert.pem", "tlskey": "/c/key.pem"}',
      FILE,
    ).patch;
    assert.deepEqual(a.tls, {
      verify: true,
      ca: '/c/ca.pem',
      cert: '/c/cert.pem',
      key: '/c/key.pem',
    });
    const b = parseDaemonJson(
      '{"tlscert": "/c/cert.pem", "tlskey": "/c/key.pem", "tlsverify": true}',
      FILE,
    ).patch;
    assert.deepEqual(b.tls, { verify: true, cert: '/c/cert.pem', key: '/c/key.pem' });
    const c = parseDaemonJson(
      '{"tls": true, "tlscert": "/c/cert.pem", "tlskey": "/c/key.pem"}',
      FILE,
    ).patch;
    assert.deepEqual(c.tls, { verify: false, cert: '/c/cert.pem', key: '/c/key.pem' });
    assert.deepEqual(parse('tlsverify', false), {});
    assert.throws(() => parse('tlscert', 'cert.pem'), /expected an absolute path/);
  });

  it('list keys keep their values: hosts, insecure-registries, dns*, labels', () => {
    assert.deepEqual(parse('insecure-registries', ['r:5000']), { insecureRegistries: ['r:5000'] });
    assert.deepEqual(parse('dns-search', ['example.com']), { dnsSearch: ['example.com'] });
    assert.deepEqual(parse('dns-opts', ['ndots:2']), { dnsOptions: ['ndots:2'] });
    assert.deepEqual(parse('labels', ['a=b']), { labels: ['a=b'] });
    assert.deepEqual(parse('hosts', ['unix:///run/x.sock']), { hosts: ['unix:///run/x.sock'] });
  });
});
