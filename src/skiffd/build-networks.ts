/**
 * The network service with its inputs: the stored networks under the data root, the address
 * pools in effect (daemon.json's or Docker's, plus the engine's IPv6 ULA pool) and the blocks
 * the host already uses.
 */
import { join } from 'node:path';
import type { Logger } from '../log.js';
import type { HostProfile } from '../host.js';
import type { EventBus } from '../daemon/events/event-bus.js';
import { NetworkService } from '../daemon/networks/network-service.js';
import { NetworkStore } from '../daemon/networks/network-store.js';
import { effectivePools } from '../network/address-pools.js';
import { readReservedNetworks } from '../network/reserved-networks.js';
import type { DaemonConfig } from './config/daemon-config.js';

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
