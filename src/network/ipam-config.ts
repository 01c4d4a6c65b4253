/**
 * The default IPAM driver: from a network create request's IPAM.Config entries (subnet,
 * ip-range, gateway, auxiliary addresses) to the subnets a network gets, with dockerd's checks
 * and messages (moby api/types/network ValidateIPAM, libnetwork ipamAllocateVersion).
 */
import { ForbiddenError, InvalidArgumentError } from '../errors.js';
import { allocateSubnet, type AddressPool } from './address-pools.js';
import {
  firstAddress,
  formatPrefix,
  ipText,
  isMasked,
  lastAddress,
  masked,
  parseIp,
  parsePrefix,
  prefixContains,
  prefixesOverlap,
  type IpFamily,
  type IpPrefix,
} from './ip-address.js';

/** One IPAM.Config entry as a client sent it (every field optional, all strings). */
export interface IpamRequest {
  readonly subnet?: string;
  readonly ipRange?: string;
  readonly gateway?: string;
  readonly auxAddresses?: Readonly<Record<string, string>>;
}

/** One subnet of a network, canonical text; what inspect shows and netavark receives. */
export interface SubnetConfig {
  readonly subnet: string;
  readonly gateway: string;
  readonly ipRange?: string;
  readonly auxAddresses?: Readonly<Record<string, string>>;
}

export interface SubnetPlanInput {
  readonly configs: readonly IpamRequest[];
  readonly ipv4: boolean;
  readonly ipv6: boolean;
}

export interface SubnetPlanContext {
  readonly pools: readonly AddressPool[];
  /** Subnets of the networks that exist: neither allocated nor requested again. */
  readonly existing: readonly IpPrefix[];
  /** Host routes and name servers: skipped by allocation only (an explicit subnet wins). */
  readonly reserved: readonly IpPrefix[];
}

const familyName = (f: IpFamily): string => (f === 4 ? 'IPv4' : 'IPv6');

/**
 * Checks each entry as dockerd does and throws one InvalidArgumentError listing every problem
 * ("invalid network config:\n..."). Entries of a disabled family are ignored, as dockerd does.
 */
export function validateIpamRequests(input: SubnetPlanInput): void {
  const errs: string[] = [];
  for (const c of input.configs) {
    if (!c.subnet) {
      if (c.ipRange || c.gateway || Object.keys(c.auxAddresses ?? {}).length > 0)
        errs.push('an ip-range, gateway or auxiliary address needs a subnet');
      continue;
    }
    const subnet = parsePrefix(c.subnet);
    if (!subnet) {
      errs.push(`invalid subnet ${c.subnet}: invalid CIDR block notation`);
      continue;
    }
    if (!familyEnabled(input, subnet.family)) continue;
    if (!isMasked(subnet))
      errs.push(`invalid subnet ${c.subnet}: it should be ${formatPrefix(masked(subnet))}`);
    errs.push(...rangeErrors(c.ipRange, subnet));
    const gw = addressError(c.gateway, subnet);
    if (gw) errs.push(`invalid gateway ${c.gateway ?? ''}: ${gw}`);
    for (const [name, aux] of Object.entries(c.auxAddresses ?? {})) {
      const e = addressError(aux, subnet);
      if (e) errs.push(`invalid auxiliary address ${name}: ${e}`);
    }
  }
  for (const f of [4, 6] as const) {
    const n = input.configs.filter((c) => c.subnet && parsePrefix(c.subnet)?.family === f).length;
    if (n > 1 && familyEnabled(input, f))
      errs.push(`bridge driver doesn't support multiple ${familyName(f)} subnets`);
  }
  if (errs.length > 0)
    throw new InvalidArgumentError(`invalid network config:\n${errs.join('\n')}`);
}

function familyEnabled(input: SubnetPlanInput, f: IpFamily): boolean {
  return f === 4 ? input.ipv4 : input.ipv6;
}

function rangeErrors(ipRange: string | undefined, subnet: IpPrefix): string[] {
  if (!ipRange) return [];
  const r = parsePrefix(ipRange);
  if (!r) return [`invalid ip-range ${ipRange}: invalid CIDR block notation`];
  if (r.family !== subnet.family)
    return [`invalid ip-range ${ipRange}: parent subnet is an ${familyName(subnet.family)} block`];
  const errs: string[] = [];
  if (r.bits < subnet.bits)
    errs.push(
      `invalid ip-range ${ipRange}: CIDR block is bigger than its parent subnet ${formatPrefix(subnet)}`,
    );
  if (!isMasked(r))
    errs.push(`invalid ip-range ${ipRange}: it should be ${formatPrefix(masked(r))}`);
  if (!prefixesOverlap(masked(subnet), r))
    errs.push(
      `invalid ip-range ${ipRange}: parent subnet ${formatPrefix(subnet)} doesn't contain ip-range`,
    );
  return errs;
}

function addressError(text: string | undefined, subnet: IpPrefix): string | undefined {
  if (!text) return undefined;
  const a = parseIp(text);
  if (!a) return 'invalid address';
  if (a.family !== subnet.family) return `parent subnet is an ${familyName(subnet.family)} block`;
  if (!prefixContains(subnet, a))
    return `parent subnet ${formatPrefix(subnet)} doesn't contain this address`;
  return undefined;
}

/**
 * The subnets of a new network: the requested ones (validated, refused when they overlap a
 * network that exists), and for each enabled family without one, the first free subnet of the
 * pools. Throws ForbiddenError with dockerd's words when nothing fits.
 */
export function planSubnets(input: SubnetPlanInput, ctx: SubnetPlanContext): SubnetConfig[] {
  validateIpamRequests(input);
  const out: SubnetConfig[] = [];
  const taken = [...ctx.existing];
  for (const family of [4, 6] as const) {
    if (!familyEnabled(input, family)) continue;
    const req = input.configs.find((c) => c.subnet && parsePrefix(c.subnet)?.family === family);
    let subnet: IpPrefix;
    if (req?.subnet) {
      subnet = parsePrefix(req.subnet) as IpPrefix;
      if (taken.some((t) => prefixesOverlap(t, subnet)))
        throw new ForbiddenError(
          'invalid pool request: Pool overlaps with other one on this address space',
        );
    } else {
      const got = allocateSubnet(ctx.pools, family, [...taken, ...ctx.reserved]);
      if (!got)
        throw new ForbiddenError(
          `could not find an available, non-overlapping IPv${family} address pool among the defaults to assign to the network`,
        );
      subnet = got;
    }
    taken.push(subnet);
    out.push(subnetConfig(subnet, req));
  }
  return out;
}

function subnetConfig(subnet: IpPrefix, req: IpamRequest | undefined): SubnetConfig {
  const range = req?.ipRange ? parsePrefix(req.ipRange) : undefined;
  const aux = req?.auxAddresses ?? {};
  const reserved = new Set(Object.values(aux).map((a) => parseIp(a)?.value));
  const gateway = req?.gateway
    ? ipText(subnet.family, (parseIp(req.gateway) as { value: bigint }).value)
    : defaultGateway(subnet, range, reserved);
  return {
    subnet: formatPrefix(subnet),
    gateway,
    ...(range ? { ipRange: formatPrefix(range) } : {}),
    ...(Object.keys(aux).length > 0 ? { auxAddresses: { ...aux } } : {}),
  };
}

/**
 * dockerd's gateway when none is given: the first address it would hand out, i.e. the first of
 * the ip-range (or subnet) that is not the subnet's own address and not reserved. Inside a
 * larger subnet that can be the range's `.0`, a valid host there (docker/for-linux#170).
 */
function defaultGateway(
  subnet: IpPrefix,
  range: IpPrefix | undefined,
  reserved: ReadonlySet<bigint | undefined>,
): string {
  const lo = firstAddress(range ?? subnet);
  const hi = lastAddress(range ?? subnet);
  for (let a = lo; a <= hi; a++) {
    if (!usableHost(subnet, a) || reserved.has(a)) continue;
    return ipText(subnet.family, a);
  }
  throw new InvalidArgumentError(
    `invalid subnet ${formatPrefix(subnet)}: no address left for the gateway`,
  );
}

/**
 * Whether an address of the subnet may be given to an interface: not the subnet's own address
 * and, for IPv4, not its broadcast address (a /31 or /32 has neither, RFC 3021).
 */
export function usableHost(subnet: IpPrefix, a: bigint): boolean {
  if (subnet.family === 4 && subnet.bits >= 31) return true;
  if (a === firstAddress(subnet)) return false;
  return !(subnet.family === 4 && a === lastAddress(subnet));
}
