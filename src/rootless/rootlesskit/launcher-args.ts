/**
 * rootlesskit's command line, as dockerd-rootless.sh builds it, with skiff's env overrides
 * (SKIFF_ROOTLESSKIT_NET, _MTU, _PORT_DRIVER, _DISABLE_HOST_LOOPBACK, _FLAGS; like Docker's
 * DOCKERD_ROOTLESS_ROOTLESSKIT_*). Pure: unit-tested without the binary.
 */
import { InvalidArgumentError } from '../../errors.js';

export interface RootlesskitSettings {
  readonly net: string;
  readonly mtu: number;
  readonly portDriver: string;
  readonly disableHostLoopback: boolean;
  readonly slirp4netnsSandbox: string;
  readonly slirp4netnsSeccomp: string;
  readonly extraFlags: readonly string[];
}

const NETS = ['slirp4netns', 'pasta', 'vpnkit', 'lxc-user-nic', 'host'];
const PORT_DRIVERS = ['builtin', 'slirp4netns', 'implicit', 'none'];

/** What daemon.json says about rootlesskit; the environment overrides it. */
export interface RootlesskitConfig {
  /** daemon.json `allow-host-loopback`: the default of _DISABLE_HOST_LOOPBACK becomes false. */
  readonly allowHostLoopback?: boolean;
}

export function settingsFromEnv(
  env: Readonly<Record<string, string | undefined>>,
  config: RootlesskitConfig = {},
): RootlesskitSettings {
  const net = env['SKIFF_ROOTLESSKIT_NET'] || 'slirp4netns';
  if (!NETS.includes(net))
    throw new InvalidArgumentError(
      `SKIFF_ROOTLESSKIT_NET=${net}: expected one of ${NETS.join(', ')}`,
    );
  const mtuText = env['SKIFF_ROOTLESSKIT_MTU'];
  const mtu = mtuText
    ? /^\d+$/.test(mtuText)
      ? Number(mtuText)
      : NaN
    : net === 'slirp4netns' || net === 'pasta'
      ? 65520
      : 1500;
  if (!Number.isInteger(mtu) || mtu < 68 || mtu > 65520)
    throw new InvalidArgumentError(
      `SKIFF_ROOTLESSKIT_MTU=${mtuText ?? ''}: expected an integer between 68 and 65520`,
    );
  const portDriver = env['SKIFF_ROOTLESSKIT_PORT_DRIVER'] || 'builtin';
  if (!PORT_DRIVERS.includes(portDriver))
    throw new InvalidArgumentError(
      `SKIFF_ROOTLESSKIT_PORT_DRIVER=${portDriver}: expected one of ${PORT_DRIVERS.join(', ')}`,
    );
  const loop =
    env['SKIFF_ROOTLESSKIT_DISABLE_HOST_LOOPBACK'] ||
    (config.allowHostLoopback === true ? 'false' : 'true');
  if (loop !== 'true' && loop !== 'false')
    throw new InvalidArgumentError(
      `SKIFF_ROOTLESSKIT_DISABLE_HOST_LOOPBACK=${loop}: expected true or false`,
    );
  return {
    net,
    mtu,
    portDriver,
    disableHostLoopback: loop === 'true',
    slirp4netnsSandbox: env['SKIFF_ROOTLESSKIT_SLIRP4NETNS_SANDBOX'] || 'auto',
    slirp4netnsSeccomp: env['SKIFF_ROOTLESSKIT_SLIRP4NETNS_SECCOMP'] || 'auto',
    extraFlags: (env['SKIFF_ROOTLESSKIT_FLAGS'] ?? '').split(/\s+/).filter((f) => f.length > 0),
  };
}

/** The binary a network driver needs besides rootlesskit itself. */
export function netDriverBinary(net: string): string | undefined {
  return net === 'slirp4netns'
    ? 'slirp4netns'
    : net === 'pasta'
      ? 'pasta'
      : net === 'vpnkit'
        ? 'vpnkit'
        : undefined;
}

export function rootlesskitArgv(
  s: RootlesskitSettings,
  stateDir: string,
  holder: readonly string[],
): string[] {
  const argv = [`--net=${s.net}`, `--mtu=${s.mtu}`];
  if (s.net === 'slirp4netns')
    argv.push(
      `--slirp4netns-sandbox=${s.slirp4netnsSandbox}`,
      `--slirp4netns-seccomp=${s.slirp4netnsSeccomp}`,
    );
  // Without the flag (rootlesskit's default) 10.0.2.2 is the host's 127.0.0.1.
  if (s.disableHostLoopback && s.net !== 'host') argv.push('--disable-host-loopback');
  if (s.net !== 'host') argv.push(`--port-driver=${s.portDriver}`);
  argv.push(
    '--copy-up=/etc',
    '--copy-up=/run',
    '--propagation=rslave',
    `--state-dir=${stateDir}`,
    ...s.extraFlags,
    ...holder,
  );
  return argv;
}
