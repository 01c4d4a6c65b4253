/**
 * The three networks every Docker engine has from its first start: `bridge` (the default for
 * containers), `host` and `none`. They get random ids once and keep them (they are stored like
 * any network), so scripts that saved an id keep working across restarts, as with dockerd.
 */
import { allocateSubnet, type AddressPool } from '../../network/address-pools.js';
import { formatPrefix, ipText, firstAddress, type IpPrefix } from '../../network/ip-address.js';
import { InternalError } from '../../errors.js';
import type { NetworkDriver, NetworkRecord } from './network-record.js';

/** The default bridge's host interface: skiff's own name, where dockerd has docker0. */
export const DEFAULT_BRIDGE_NAME = 'skiff0';

export interface PredefinedContext {
  readonly newId: () => string;
  readonly created: string;
  readonly pools: readonly AddressPool[];
  /** Host routes and name servers to stay clear of, and networks that exist already. */
  readonly taken: readonly IpPrefix[];
  readonly mtu: number;
}

function base(name: string, driver: NetworkDriver, ctx: PredefinedContext): NetworkRecord {
  return {
    id: ctx.newId(),
    name,
    driver,
    created: ctx.created,
    predefined: true,
    internal: false,
    attachable: false,
    enableIPv4: false,
    enableIPv6: false,
    ipamDriver: 'default',
    subnets: [],
    options: {},
    labels: {},
    dnsEnabled: false,
  };
}

/**
 * The default bridge takes the first free subnet of the pools: 172.17.0.0/16 with Docker's
 * defaults. Its options are those dockerd shows for docker0; no DNS (Docker's default bridge
 * has none either: containers find each other only on user-defined networks).
 */
export function defaultBridge(ctx: PredefinedContext): NetworkRecord {
  const subnet = allocateSubnet(ctx.pools, 4, ctx.taken);
  if (!subnet)
    throw new InternalError(
      'no free IPv4 subnet for the default bridge: every default-address-pools block overlaps a host route',
    );
  return {
    ...base('bridge', 'bridge', ctx),
    enableIPv4: true,
    subnets: [
      {
        subnet: formatPrefix(subnet),
        gateway: ipText(4, firstAddress(subnet) + 1n),
      },
    ],
    options: {
      'com.docker.network.bridge.default_bridge': 'true',
      'com.docker.network.bridge.enable_icc': 'true',
      'com.docker.network.bridge.enable_ip_masquerade': 'true',
      'com.docker.network.bridge.host_binding_ipv4': '0.0.0.0',
      'com.docker.network.bridge.name': DEFAULT_BRIDGE_NAME,
      'com.docker.network.driver.mtu': String(ctx.mtu),
    },
    bridgeName: DEFAULT_BRIDGE_NAME,
    mtu: ctx.mtu,
  };
}

export function hostNetwork(ctx: PredefinedContext): NetworkRecord {
  return base('host', 'host', ctx);
}

export function noneNetwork(ctx: PredefinedContext): NetworkRecord {
  return base('none', 'null', ctx);
}
