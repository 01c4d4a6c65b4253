/**
 * Container addresses on a network. netavark's `host-local` IPAM does not choose addresses
 * (Podman chooses them and passes `static_ips`), so skiff does, as dockerd's default IPAM
 * does: the lowest free address of the ip-range (or the subnet), never the gateway, an
 * auxiliary address, the subnet's own address or the IPv4 broadcast address.
 */
import { ConflictError, InvalidArgumentError } from '../errors.js';
import { usableHost, type SubnetConfig } from './ipam-config.js';
import {
  firstAddress,
  ipText,
  lastAddress,
  parseIp,
  parsePrefix,
  prefixContains,
  type IpPrefix,
} from './ip-address.js';

function reservedOf(s: SubnetConfig, inUse: readonly string[]): Set<bigint> {
  const out = new Set<bigint>();
  for (const text of [s.gateway, ...Object.values(s.auxAddresses ?? {}), ...inUse]) {
    const a = parseIp(text);
    if (a) out.add(a.value);
  }
  return out;
}

function subnetOf(s: SubnetConfig): IpPrefix {
  const p = parsePrefix(s.subnet);
  if (!p) throw new InvalidArgumentError(`invalid subnet ${s.subnet}`);
  return p;
}

/** The lowest free address for a new endpoint; undefined when the range is full. */
export function nextFreeAddress(s: SubnetConfig, inUse: readonly string[]): string | undefined {
  const subnet = subnetOf(s);
  const range = s.ipRange ? parsePrefix(s.ipRange) : undefined;
  const taken = reservedOf(s, inUse);
  const hi = lastAddress(range ?? subnet);
  // Walks at most |taken| + 2 addresses before it finds a free one.
  for (let a = firstAddress(range ?? subnet); a <= hi; a++) {
    if (usableHost(subnet, a) && !taken.has(a)) return ipText(subnet.family, a);
  }
  return undefined;
}

/**
 * Checks an address a user asked for (`--ip`, `--ip6`, IPAMConfig): inside the subnet, not
 * reserved, not taken. dockerd allows it outside the ip-range, so do we.
 */
export function checkRequestedAddress(
  s: SubnetConfig,
  requested: string,
  inUse: readonly string[],
): string {
  const subnet = subnetOf(s);
  const a = parseIp(requested);
  if (!a || !prefixContains(subnet, a) || !usableHost(subnet, a.value))
    throw new InvalidArgumentError(
      `invalid address ${requested}: it is not a usable address of subnet ${s.subnet}`,
    );
  if (reservedOf(s, inUse).has(a.value))
    throw new ConflictError(`Address already in use: ${requested}`);
  return ipText(a.family, a.value);
}
