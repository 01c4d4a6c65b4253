/**
 * The network service with its inputs: the stored networks under the data root, the address
 * pools in effect (daemon.json's or Docker's, plus the engine's IPv6 ULA pool) and the blocks
 * the host already uses.
 */
import { constants } from 'node:fs';
import { access, mkdir } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { EXTRA_BINARY_DIRS } from '../proc/find-binary.js';
import type { Logger } from '../log.js';
import type { HostProfile } from '../host.js';
import type { EventBus } from '../daemon/events/event-bus.js';
import { NetworkService } from '../daemon/networks/network-service.js';
import { NetworkStore } from '../daemon/networks/network-store.js';
import { ContainerNetworking } from '../daemon/containers/container-networking.js';
import { NetavarkBackend } from '../network/netavark/netavark-backend.js';
import { effectivePools } from '../network/address-pools.js';
import { readReservedNetworks } from '../network/reserved-networks.js';
import type { DaemonConfig } from './config/daemon-config.js';
import type { SkiffdEnvironment } from './config/environment.js';

/**
 * rootlesskit's slirp4netns network (--cidr default): the holder's namespace, where skiff's
 * bridges will live, routes it already, so no network may take it.
 */
const SLIRP4NETNS_CIDR = '10.0.2.0/24';

export async function buildNetworkService(i: {
  readonly config: DaemonConfig;
  readonly host: HostProfile;
  readonly engineId: string;
  readonly events: EventBus;
  readonly log: Logger;
}): Promise<NetworkService> {
  const log = i.log.child({ component: 'networks' });
  const networks = new NetworkService({
    store: new NetworkStore(join(i.config.dataRoot, 'networks'), log),
    events: i.events,
    log,
    pools: effectivePools(i.config.defaultAddressPools, i.engineId),
    reserved: () =>
      readReservedNetworks({ extra: i.host.holderPid !== undefined ? [SLIRP4NETNS_CIDR] : [] }),
    ...(i.config.mtu !== undefined ? { mtu: i.config.mtu } : {}),
  });
  await networks.load();
  return networks;
}

/** Debian's netavark and aardvark-dns (the podman packages install them here). */
const NETAVARK = '/usr/lib/podman/netavark';
const AARDVARK_DNS = '/usr/lib/podman/aardvark-dns';

/**
 * Bridge networks for containers: netavark run in the rootlesskit holder's network namespace,
 * each container in its own persistent namespace under `<execRoot>/netns`. Undefined (and
 * `default` containers then share the holder's namespace, as before) without a holder, nsenter,
 * unshare or netavark; the reason is logged.
 */
export async function buildContainerNetworking(i: {
  readonly config: DaemonConfig;
  readonly env: SkiffdEnvironment;
  readonly host: HostProfile;
  readonly networks: NetworkService;
  readonly log: Logger;
}): Promise<ContainerNetworking | undefined> {
  const log = i.log.child({ component: 'networks' });
  const { holderPid, binaries } = i.host;
  const executable = async (p: string): Promise<boolean> =>
    access(p, constants.X_OK).then(
      () => true,
      () => false,
    );
  const missing = [
    holderPid === undefined ? 'the rootlesskit holder' : '',
    binaries.nsenter ? '' : 'nsenter',
    binaries.unshare ? '' : 'unshare',
    (await executable(NETAVARK)) ? '' : NETAVARK,
  ].filter((x) => x !== '');
  if (holderPid === undefined || !binaries.nsenter || !binaries.unshare || missing.length > 0) {
    log.warn(
      { missing },
      'bridge networks are unavailable: containers on "bridge" share the rootless network namespace and user-defined networks cannot be joined',
    );
    return undefined;
  }
  const hasAardvark = await executable(AARDVARK_DNS);
  // netavark creates its aardvark-dns directory there, but not the directory itself.
  const configDir = join(i.config.execRoot, 'networks');
  await mkdir(configDir, { recursive: true, mode: 0o700 });
  return new ContainerNetworking({
    network: (ref) => i.networks.get(ref),
    backend: new NetavarkBackend({
      netavark: NETAVARK,
      ...(hasAardvark ? { aardvarkDns: AARDVARK_DNS } : {}),
      configDir,
      rootless: true,
      enter: { nsenter: binaries.nsenter, pid: holderPid },
      // netavark runs iptables/nft by name, which live in /usr/sbin: not in a normal user's PATH
      // on Debian, where the setup then fails with "No such file or directory (os error 2)".
      env: { ...i.env.vars, PATH: searchPath(i.env.pathEnv) },
    }),
    netns: { unshare: binaries.unshare, umount: binaries.umount, mount: binaries.mount },
    netnsRoot: join(i.config.execRoot, 'netns'),
    log,
    announce: (action, networkId, id) => {
      i.networks.announce(action, networkId, id);
    },
    defaultDns: i.config.dns,
  });
}

/** The user's PATH, then the system directories skiff looks in for helpers (sbin included). */
export function searchPath(userPath: string | undefined): string {
  const dirs = [...(userPath ?? '').split(delimiter).filter((d) => d !== ''), ...EXTRA_BINARY_DIRS];
  return [...new Set(dirs)].join(delimiter);
}
