import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  netDriverBinary,
  rootlesskitArgv,
  settingsFromEnv,
} from '../../../../src/rootless/rootlesskit/launcher-args.js';
import { InvalidArgumentError } from '../../../../src/errors.js';

const STATE = '/run/user/1000/skiff/rootlesskit';
const HOLDER = ['/usr/bin/node', '/opt/skiff/holder.js'];

function argv(env: Record<string, string | undefined>): string[] {
  return rootlesskitArgv(settingsFromEnv(env), STATE, HOLDER);
}

describe('settingsFromEnv', () => {
  it("defaults to dockerd-rootless.sh's choices", () => {
    assert.deepEqual(settingsFromEnv({}), {
      net: 'slirp4netns',
      mtu: 65520,
      portDriver: 'builtin',
      disableHostLoopback: true,
      slirp4netnsSandbox: 'auto',
      slirp4netnsSeccomp: 'auto',
      extraFlags: [],
    });
  });

  it('treats empty variables as unset (as `${VAR:=default}` does)', () => {
    const s = settingsFromEnv({
      SKIFF_ROOTLESSKIT_NET: '',
      SKIFF_ROOTLESSKIT_MTU: '',
      SKIFF_ROOTLESSKIT_PORT_DRIVER: '',
      SKIFF_ROOTLESSKIT_SLIRP4NETNS_SANDBOX: '',
      SKIFF_ROOTLESSKIT_FLAGS: '',
    });
    assert.deepEqual(
      [s.net, s.mtu, s.portDriver, s.slirp4netnsSandbox],
      ['slirp4netns', 65520, 'builtin', 'auto'],
    );
    assert.deepEqual(s.extraFlags, []);
  });

  it('the default MTU follows the network driver: 65520 for slirp4netns and pasta, else 1500', () => {
    const mtu = (net: string): number => settingsFromEnv({ SKIFF_ROOTLESSKIT_NET: net }).mtu;
    assert.equal(mtu('slirp4netns'), 65520);
    assert.equal(mtu('pasta'), 65520);
    assert.equal(mtu('vpnkit'), 1500);
    assert.equal(mtu('lxc-user-nic'), 1500);
    assert.equal(mtu('host'), 1500);
  });

  it('accepts MTUs from 68 to 65520 and refuses the rest', () => {
    assert.equal(settingsFromEnv({ SKIFF_ROOTLESSKIT_MTU: '68' }).mtu, 68);
    assert.equal(settingsFromEnv({ SKIFF_ROOTLESSKIT_MTU: '1500' }).mtu, 1500);
    for (const bad of ['67', '65521', '1500.5', 'big', '-1'])
      assert.throws(
        () => settingsFromEnv({ SKIFF_ROOTLESSKIT_MTU: bad }),
        (e: unknown) =>
          e instanceof InvalidArgumentError &&
          e.message === `SKIFF_ROOTLESSKIT_MTU=${bad}: expected an integer between 68 and 65520`,
      );
  });

  it('refuses unknown network and port drivers, listing the valid ones', () => {
    assert.throws(
      () => settingsFromEnv({ SKIFF_ROOTLESSKIT_NET: 'bridge' }),
      /^InvalidArgumentError: SKIFF_ROOTLESSKIT_NET=bridge: expected one of slirp4netns, pasta, vpnkit, lxc-user-nic, host$/,
    );
    assert.throws(
      () => settingsFromEnv({ SKIFF_ROOTLESSKIT_PORT_DRIVER: 'socat' }),
      /^InvalidArgumentError: SKIFF_ROOTLESSKIT_PORT_DRIVER=socat: expected one of builtin, slirp4netns, implicit, none$/,
    );
  });

  it('DISABLE_HOST_LOOPBACK takes true or false only', () => {
    assert.equal(
      settingsFromEnv({ SKIFF_ROOTLESSKIT_DISABLE_HOST_LOOPBACK: 'false' }).disableHostLoopback,
      false,
    );
    assert.equal(
      settingsFromEnv({ SKIFF_ROOTLESSKIT_DISABLE_HOST_LOOPBACK: 'true' }).disableHostLoopback,
      true,
    );
    assert.throws(
      () => settingsFromEnv({ SKIFF_ROOTLESSKIT_DISABLE_HOST_LOOPBACK: 'no' }),
      /SKIFF_ROOTLESSKIT_DISABLE_HOST_LOOPBACK=no: expected true or false/,
    );
  });

  it('daemon.json allow-host-loopback opens the host loopback; the environment still wins', () => {
    const open = { allowHostLoopback: true };
    assert.equal(settingsFromEnv({}, open).disableHostLoopback, false);
    assert.equal(settingsFromEnv({}, { allowHostLoopback: false }).disableHostLoopback, true);
    assert.equal(
      settingsFromEnv({ SKIFF_ROOTLESSKIT_DISABLE_HOST_LOOPBACK: 'true' }, open)
        .disableHostLoopback,
      true,
    );
    assert.equal(
      rootlesskitArgv(settingsFromEnv({}, open), STATE, HOLDER).includes('--disable-host-loopback'),
      false,
    );
  });

  it('splits SKIFF_ROOTLESSKIT_FLAGS on any run of whitespace', () => {
    const s = settingsFromEnv({
      SKIFF_ROOTLESSKIT_FLAGS: '  --cidr=10.0.3.0/24\t--ipv6 \n --debug ',
    });
    assert.deepEqual(s.extraFlags, ['--cidr=10.0.3.0/24', '--ipv6', '--debug']);
  });
});

describe('rootlesskitArgv', () => {
  it('builds the command line of dockerd-rootless.sh by default, the holder last', () => {
    assert.deepEqual(argv({}), [
      '--net=slirp4netns',
      '--mtu=65520',
      '--slirp4netns-sandbox=auto',
      '--slirp4netns-seccomp=auto',
      '--disable-host-loopback',
      '--port-driver=builtin',
      '--copy-up=/etc',
      '--copy-up=/run',
      '--propagation=rslave',
      `--state-dir=${STATE}`,
      ...HOLDER,
    ]);
  });

  it('SKIFF_ROOTLESSKIT_NET=pasta: no slirp4netns flags, pasta with its MTU', () => {
    const a = argv({ SKIFF_ROOTLESSKIT_NET: 'pasta' });
    assert.deepEqual(a.slice(0, 4), [
      '--net=pasta',
      '--mtu=65520',
      '--disable-host-loopback',
      '--port-driver=builtin',
    ]);
    assert.equal(
      a.some((x) => x.startsWith('--slirp4netns-')),
      false,
    );
  });

  it('SKIFF_ROOTLESSKIT_MTU, _PORT_DRIVER and sandbox/seccomp reach their flags', () => {
    const a = argv({
      SKIFF_ROOTLESSKIT_MTU: '1500',
      SKIFF_ROOTLESSKIT_PORT_DRIVER: 'slirp4netns',
      SKIFF_ROOTLESSKIT_SLIRP4NETNS_SANDBOX: 'true',
      SKIFF_ROOTLESSKIT_SLIRP4NETNS_SECCOMP: 'false',
    });
    assert.ok(a.includes('--mtu=1500'));
    assert.ok(a.includes('--port-driver=slirp4netns'));
    assert.ok(a.includes('--slirp4netns-sandbox=true'));
    assert.ok(a.includes('--slirp4netns-seccomp=false'));
    assert.equal(a.filter((x) => x.startsWith('--mtu=')).length, 1);
    assert.equal(a.filter((x) => x.startsWith('--port-driver=')).length, 1);
  });

  it('SKIFF_ROOTLESSKIT_DISABLE_HOST_LOOPBACK=false drops --disable-host-loopback', () => {
    const a = argv({ SKIFF_ROOTLESSKIT_DISABLE_HOST_LOOPBACK: 'false' });
    assert.equal(a.includes('--disable-host-loopback'), false);
    assert.ok(a.includes('--port-driver=builtin'));
  });

  it('--net=host gets neither a port driver nor --disable-host-loopback', () => {
    assert.deepEqual(argv({ SKIFF_ROOTLESSKIT_NET: 'host' }), [
      '--net=host',
      '--mtu=1500',
      '--copy-up=/etc',
      '--copy-up=/run',
      '--propagation=rslave',
      `--state-dir=${STATE}`,
      ...HOLDER,
    ]);
  });

  it('SKIFF_ROOTLESSKIT_FLAGS go after the defaults and before the holder command', () => {
    const a = argv({ SKIFF_ROOTLESSKIT_FLAGS: '--cidr=10.0.3.0/24 --debug' });
    assert.deepEqual(a.slice(-4), ['--cidr=10.0.3.0/24', '--debug', ...HOLDER]);
    assert.equal(a[a.length - 5], `--state-dir=${STATE}`);
  });
});

describe('netDriverBinary', () => {
  it('names the helper binary of drivers that need one', () => {
    assert.equal(netDriverBinary('slirp4netns'), 'slirp4netns');
    assert.equal(netDriverBinary('pasta'), 'pasta');
    assert.equal(netDriverBinary('vpnkit'), 'vpnkit');
    assert.equal(netDriverBinary('host'), undefined);
    assert.equal(netDriverBinary('lxc-user-nic'), undefined);
  });
});
