/**
 * The seam between skiff's networks and whatever wires a container into them (netavark today).
 * A network itself needs no backend call: netavark creates the bridge on the first `setup` that
 * uses it and deletes it on the last `teardown`. Only endpoints (a container on a network) do.
 */
import type { SubnetConfig } from './ipam-config.js';

/** A bridge network as a backend needs it: no labels, no Docker field names. */
export interface BridgeNetworkSpec {
  /** 64 hex characters. */
  readonly id: string;
  readonly name: string;
  /** Host-side bridge interface (`skiff0`, `br-<id12>`, or the user's choice); ≤ 15 bytes. */
  readonly bridgeName: string;
  /** At most one IPv4 and one IPv6 subnet, each with its gateway. */
  readonly subnets: readonly SubnetConfig[];
  /** No route out of the network (Docker's `--internal`). */
  readonly internal: boolean;
  /** Names of containers resolve on this network (aardvark-dns); false on the default bridge, as Docker. */
  readonly dnsEnabled: boolean;
  readonly mtu?: number;
  /** Docker isolates bridge networks from each other; netavark calls this `isolate`. */
  readonly isolate: boolean;
  /** RFC 3339 creation time, informational. */
  readonly created?: string;
}

/** One network a container joins, with what was decided for it beforehand. */
export interface EndpointRequest {
  readonly network: BridgeNetworkSpec;
  /** The interface inside the container: eth0, eth1, ... in the order networks were joined. */
  readonly interfaceName: string;
  /** Addresses chosen by skiff's IPAM (`nextFreeAddress`), one per subnet; netavark does not choose. */
  readonly addresses: readonly string[];
  /** DNS names besides the container's name (compose service names, `--network-alias`). */
  readonly aliases: readonly string[];
  readonly macAddress?: string;
}

export interface PortMappingRequest {
  readonly hostIp: string;
  readonly hostPort: number;
  readonly containerPort: number;
  readonly protocol: 'tcp' | 'udp' | 'sctp';
  /** How many consecutive ports, from hostPort and containerPort; 1 for one. */
  readonly range: number;
}

export interface AttachRequest {
  readonly containerId: string;
  readonly containerName: string;
  readonly hostname?: string;
  /** Path of the container's network namespace (`/proc/<pid>/ns/net` or a bind mount of it). */
  readonly netnsPath: string;
  readonly endpoints: readonly EndpointRequest[];
  readonly portMappings?: readonly PortMappingRequest[];
  /** Upstream resolvers for the network's DNS server (Docker's `--dns`). */
  readonly dnsServers?: readonly string[];
}

export interface AttachedInterface {
  readonly macAddress: string;
  /** Addresses in CIDR form with their gateway (e.g. 172.18.0.2/16 via 172.18.0.1). */
  readonly addresses: readonly { readonly cidr: string; readonly gateway?: string }[];
}

export interface AttachResult {
  /** Per network name: the interface created in the container. */
  readonly networks: Readonly<Record<string, Readonly<Record<string, AttachedInterface>>>>;
  /** What the container's resolv.conf should list (the networks' DNS servers), if any. */
  readonly dnsServers: readonly string[];
  readonly dnsSearch: readonly string[];
}

export interface NetworkBackend {
  /**
   * Creates what the container needs on each network: the bridge if it is not there yet, a veth
   * pair into `netnsPath`, the addresses, routes, firewall and port rules, the DNS entries.
   * MUST be undone by `teardown` with the same request, also after a failed setup (a partial
   * setup may have left rules behind). MAY be called again for the same container after a
   * teardown (restart).
   */
  setup(req: AttachRequest, signal?: AbortSignal): Promise<AttachResult>;
  /**
   * Removes what `setup` created; removes a bridge whose last endpoint goes. MUST succeed when
   * the namespace is already gone (the container died) and be safe to repeat.
   */
  teardown(req: AttachRequest, signal?: AbortSignal): Promise<void>;
}
