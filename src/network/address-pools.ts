/**
 * Where networks without an explicit subnet get one: dockerd's `default-address-pools`, split
 * into subnets of `size` bits, handed out in order, skipping any that overlap a network that
 * exists or a route of the host.
 */
import { createHash } from 'node:crypto';
import { InvalidArgumentError } from '../errors.js';
import {
  familyWidth,
  firstAddress,
  lastAddress,
  parsePrefix,
  prefixesOverlap,
  type IpFamily,
  type IpPrefix,
} from './ip-address.js';

export interface AddressPool {
  /** A CIDR block, e.g. 172.17.0.0/16. */
  readonly base: string;
  /** Prefix length of the subnets cut from it. */
  readonly size: number;
}

/**
 * dockerd's built-in local pools (libnetwork ipamutils): 172.17–172.31 as /16s, then
 * 192.168.0.0/16 as /20s. The predefined `bridge` takes the first (172.17.0.0/16), user
 * networks the next ones (172.18.0.0/16, ...), exactly as with Docker.
 */
export const DOCKER_DEFAULT_POOLS: readonly AddressPool[] = [
  { base: '172.17.0.0/16', size: 16 },
  { base: '172.18.0.0/16', size: 16 },
  { base: '172.19.0.0/16', size: 16 },
  { base: '172.20.0.0/14', size: 16 },
  { base: '172.24.0.0/14', size: 16 },
  { base: '172.28.0.0/14', size: 16 },
  { base: '192.168.0.0/16', size: 20 },
];

/**
 * A ULA /48 (RFC 4193) whose global id comes from the engine id, cut into /64s: moby does the
 * same since 27.0 (commit c395a33), so `--ipv6` works without a subnet and the prefix stays
 * the same across restarts of one engine.
 */
export function ulaPool(engineId: string): AddressPool {
  const h = createHash('sha256').update(engineId).digest();
  const hex = (i: number): string => (h[i] ?? 0).toString(16).padStart(2, '0');
  return { base: `fd${hex(0)}:${hex(1)}${hex(2)}:${hex(3)}${hex(4)}::/48`, size: 64 };
}

/**
 * The pools in effect: the configured ones or Docker's, plus the engine's ULA pool unless an
 * IPv6 pool was configured.
 */
export function effectivePools(
  configured: readonly AddressPool[],
  engineId: string,
): AddressPool[] {
  const pools = configured.length > 0 ? [...configured] : [...DOCKER_DEFAULT_POOLS];
  if (!pools.some((p) => parsePrefix(p.base)?.family === 6)) pools.push(ulaPool(engineId));
  return pools;
}

interface ParsedPool {
  readonly base: IpPrefix;
  readonly size: number;
}

function parsePool(p: AddressPool): ParsedPool {
  const base = parsePrefix(p.base);
  if (!base) throw new InvalidArgumentError(`invalid address pool base ${p.base}`);
  if (p.size < base.bits || p.size > familyWidth(base.family))
    throw new InvalidArgumentError(
      `invalid address pool ${p.base}: size ${p.size} must be between ${base.bits} and ${familyWidth(base.family)}`,
    );
  return { base, size: p.size };
}

/**
 * The first subnet of `family` from `pools` (in order) that overlaps none of `taken`.
 * Overlapping blocks are jumped over, not walked address by address, so a /8 pool cut into
 * /24s costs one step per taken block.
 */
export function allocateSubnet(
  pools: readonly AddressPool[],
  family: IpFamily,
  taken: readonly IpPrefix[],
): IpPrefix | undefined {
  for (const raw of pools) {
    const pool = parsePool(raw);
    if (pool.base.family !== family) continue;
    const step = 1n << BigInt(familyWidth(family) - pool.size);
    const end = lastAddress(pool.base);
    let at = firstAddress(pool.base);
    while (at <= end) {
      const candidate: IpPrefix = { family, addr: at, bits: pool.size };
      const clash = taken.find((t) => prefixesOverlap(t, candidate));
      if (!clash) return candidate;
      // Skip past the clash, then round up to the next subnet boundary.
      const after = lastAddress(clash) + 1n;
      const next = at + step;
      at = after > next ? ((after + step - 1n) / step) * step : next;
    }
  }
  return undefined;
}
