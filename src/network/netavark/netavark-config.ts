/**
 * The JSON netavark reads on stdin for `setup` and `teardown` (its NetworkOptions), in the shape
 * Podman writes it (containers/common libnetwork types.Network): pure functions, so the bytes
 * netavark gets are unit-tested without netavark. Field names are netavark's, snake_case, and
 * only those netavark 1.4 (Debian 12) understands.
 */
import type { AttachRequest, BridgeNetworkSpec, EndpointRequest } from '../network-backend.js';
import { usableHost, type SubnetConfig } from '../ipam-config.js';
import { firstAddress, ipText, lastAddress, parsePrefix } from '../ip-address.js';

export interface NetavarkSubnet {
  readonly subnet: string;
  readonly gateway?: string;
  readonly lease_range?: { readonly start_ip?: string; readonly end_ip?: string };
}

export interface NetavarkNetwork {
  readonly name: string;
  readonly id: string;
  readonly driver: 'bridge';
  readonly network_interface: string;
  readonly created?: string;
  readonly subnets: readonly NetavarkSubnet[];
  readonly ipv6_enabled: boolean;
  readonly internal: boolean;
  readonly dns_enabled: boolean;
  readonly options: Readonly<Record<string, string>>;
  readonly ipam_options: { readonly driver: 'host-local' };
}

export interface NetavarkPerNetworkOptions {
  readonly interface_name: string;
  readonly static_ips: readonly string[];
  readonly aliases?: readonly string[];
  readonly static_mac?: string;
}

export interface NetavarkPortMapping {
  readonly host_ip: string;
  readonly container_port: number;
  readonly host_port: number;
  readonly range: number;
  readonly protocol: string;
}

export interface NetavarkNetworkOptions {
  readonly container_id: string;
  readonly container_name: string;
  readonly networks: Readonly<Record<string, NetavarkPerNetworkOptions>>;
  readonly network_info: Readonly<Record<string, NetavarkNetwork>>;
  readonly port_mappings?: readonly NetavarkPortMapping[];
  readonly dns_servers?: readonly string[];
}

/** A bridge network as netavark's `network_info` entry. */
export function netavarkNetwork(n: BridgeNetworkSpec): NetavarkNetwork {
  const options: Record<string, string> = {};
  if (n.mtu !== undefined) options['mtu'] = String(n.mtu);
  if (n.isolate) options['isolate'] = 'true';
  return {
    name: n.name,
    id: n.id,
    driver: 'bridge',
    network_interface: n.bridgeName,
    ...(n.created ? { created: n.created } : {}),
    subnets: n.subnets.map((s) => {
      const lease = leaseRange(s);
      return { subnet: s.subnet, gateway: s.gateway, ...(lease ? { lease_range: lease } : {}) };
    }),
    ipv6_enabled: n.subnets.some((s) => parsePrefix(s.subnet)?.family === 6),
    internal: n.internal,
    dns_enabled: n.dnsEnabled,
    options,
    ipam_options: { driver: 'host-local' },
  };
}

/**
 * An ip-range as netavark's lease range, as Podman writes it: the first and last addresses of
 * the range that an interface may have (not the subnet's own address, not IPv4 broadcast).
 */
function leaseRange(s: SubnetConfig): { start_ip: string; end_ip: string } | undefined {
  const subnet = s.ipRange ? parsePrefix(s.subnet) : undefined;
  const range = s.ipRange ? parsePrefix(s.ipRange) : undefined;
  if (!subnet || !range) return undefined;
  let lo = firstAddress(range);
  let hi = lastAddress(range);
  while (lo < hi && !usableHost(subnet, lo)) lo++;
  while (hi > lo && !usableHost(subnet, hi)) hi--;
  return { start_ip: ipText(range.family, lo), end_ip: ipText(range.family, hi) };
}

function perNetwork(e: EndpointRequest): NetavarkPerNetworkOptions {
  return {
    interface_name: e.interfaceName,
    static_ips: [...e.addresses],
    // netavark only resolves aliases on networks with DNS; elsewhere it ignores them.
    ...(e.aliases.length > 0 ? { aliases: [...e.aliases] } : {}),
    ...(e.macAddress ? { static_mac: e.macAddress } : {}),
  };
}

/**
 * The whole document for `netavark setup|teardown <netns>`: every network of the container,
 * keyed by network name in both maps (netavark requires the keys to match).
 */
export function netavarkOptions(req: AttachRequest): NetavarkNetworkOptions {
  const networks: Record<string, NetavarkPerNetworkOptions> = {};
  const info: Record<string, NetavarkNetwork> = {};
  for (const e of req.endpoints) {
    networks[e.network.name] = perNetwork(e);
    info[e.network.name] = netavarkNetwork(e.network);
  }
  return {
    container_id: req.containerId,
    // netavark 1.4 uses the name for DNS records: aardvark answers it on every network with DNS.
    container_name: req.containerName.replace(/^\//, ''),
    networks,
    network_info: info,
    ...(req.portMappings && req.portMappings.length > 0
      ? {
          port_mappings: req.portMappings.map((p) => ({
            host_ip: p.hostIp,
            container_port: p.containerPort,
            host_port: p.hostPort,
            range: p.range,
            protocol: p.protocol,
          })),
        }
      : {}),
    ...(req.dnsServers && req.dnsServers.length > 0 ? { dns_servers: [...req.dnsServers] } : {}),
  };
}
