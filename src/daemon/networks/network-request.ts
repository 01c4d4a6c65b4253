/**
 * `docker network create` as skiff's own type, and how it becomes a record: dockerd's checks in
 * dockerd's order (moby daemon/network.go createNetwork, libnetwork NewNetwork, the bridge
 * driver's option parsing), then the IPAM plan. Pure: the service supplies id, time, the
 * networks that exist and the host's routes.
 */
import {
  ConflictError,
  ForbiddenError,
  InvalidArgumentError,
  NotFoundError,
  NotImplementedError,
} from '../../errors.js';
import type { AddressPool } from '../../network/address-pools.js';
import { parsePrefix, type IpPrefix } from '../../network/ip-address.js';
import { planSubnets, validateIpamRequests, type IpamRequest } from '../../network/ipam-config.js';
import { isPredefinedName, type NetworkRecord } from './network-record.js';

export interface NetworkCreateRequest {
  readonly name: string;
  /** Empty means the default driver, bridge. */
  readonly driver: string;
  readonly scope: string;
  readonly internal: boolean;
  readonly attachable: boolean;
  readonly ingress: boolean;
  readonly configOnly: boolean;
  readonly configFrom?: string;
  /** Undefined: IPv4 on (API < 1.48 has no such field). */
  readonly enableIPv4?: boolean;
  readonly enableIPv6?: boolean;
  readonly ipamDriver: string;
  readonly ipamOptions: Readonly<Record<string, string>>;
  readonly ipamConfigs: readonly IpamRequest[];
  readonly options: Readonly<Record<string, string>>;
  readonly labels: Readonly<Record<string, string>>;
}

export interface NetworkBuildContext {
  readonly id: string;
  readonly created: string;
  readonly existing: readonly NetworkRecord[];
  readonly pools: readonly AddressPool[];
  readonly reserved: readonly IpPrefix[];
  /** daemon.json `mtu`; netavark's own default (1500) when undefined. */
  readonly defaultMtu?: number;
}

export const BRIDGE_NAME_OPTION = 'com.docker.network.bridge.name';
export const MTU_OPTION = 'com.docker.network.driver.mtu';
const ENABLE_IPV4_OPTION = 'com.docker.network.enable_ipv4';
const ENABLE_IPV6_OPTION = 'com.docker.network.enable_ipv6';

/** Bridge options whose effect netavark cannot give: accepted, kept, and warned about. */
const UNSUPPORTED_OPTIONS: Readonly<Record<string, string>> = {
  'com.docker.network.bridge.enable_icc': 'true',
  'com.docker.network.bridge.enable_ip_masquerade': 'true',
  'com.docker.network.bridge.host_binding_ipv4': '0.0.0.0',
  'com.docker.network.bridge.inhibit_ipv4': 'false',
  'com.docker.network.bridge.gateway_mode_ipv4': 'nat',
  'com.docker.network.bridge.gateway_mode_ipv6': 'nat',
};

const NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
const SWARM_ONLY =
  'This node is not a swarm manager. Use "docker swarm init" or "docker swarm join" to connect this node to swarm and try again.';

export interface BuiltNetwork {
  readonly record: NetworkRecord;
  /** What create answers in `Warning` (options skiff keeps but cannot apply). */
  readonly warnings: readonly string[];
}

export function buildNetworkRecord(
  req: NetworkCreateRequest,
  ctx: NetworkBuildContext,
): BuiltNetwork {
  checkName(req.name);
  const driver = req.driver || 'bridge';
  checkDriver(driver, req);
  const ipv4 = req.enableIPv4 ?? optionBool(req.options, ENABLE_IPV4_OPTION) ?? true;
  const ipv6 = req.enableIPv6 ?? optionBool(req.options, ENABLE_IPV6_OPTION) ?? false;
  if (!ipv4 && !ipv6)
    throw new InvalidArgumentError('invalid network config: IPv4 or IPv6 must be enabled');
  validateIpamRequests({ configs: req.ipamConfigs, ipv4, ipv6 });
  if (ctx.existing.some((n) => n.name === req.name))
    throw new ConflictError(`network with name ${req.name} already exists`);
  const bridgeName = req.options[BRIDGE_NAME_OPTION] ?? `br-${ctx.id.slice(0, 12)}`;
  checkBridgeName(bridgeName, ctx);
  const mtu = parseMtu(req.options[MTU_OPTION]) ?? ctx.defaultMtu;
  const subnets = planSubnets(
    { configs: req.ipamConfigs, ipv4, ipv6 },
    {
      pools: ctx.pools,
      existing: ctx.existing.flatMap((n) =>
        n.subnets.map((s) => parsePrefix(s.subnet)).filter((p): p is IpPrefix => !!p),
      ),
      reserved: ctx.reserved,
    },
  );
  const record: NetworkRecord = {
    id: ctx.id,
    name: req.name,
    driver: 'bridge',
    created: ctx.created,
    predefined: false,
    internal: req.internal,
    attachable: req.attachable,
    enableIPv4: ipv4,
    enableIPv6: ipv6,
    ipamDriver: 'default',
    ipamOptions: { ...req.ipamOptions },
    subnets,
    options: { ...req.options },
    labels: { ...req.labels },
    bridgeName,
    ...(mtu !== undefined ? { mtu } : {}),
    dnsEnabled: true,
  };
  return { record, warnings: warningsFor(req.options) };
}

function checkName(name: string): void {
  if (name === '') throw new InvalidArgumentError('invalid name: a network name is required');
  if (!NAME.test(name))
    throw new InvalidArgumentError(
      `invalid name: "${name}" includes invalid characters, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed`,
    );
  if (isPredefinedName(name))
    throw new ForbiddenError(`operation is not permitted on predefined ${name} network`);
}

function checkDriver(driver: string, req: NetworkCreateRequest): void {
  switch (driver) {
    case 'bridge':
      break;
    case 'host':
    case 'null':
      // Both drivers allow one network only, the predefined one (libnetwork host/null drivers).
      throw new ForbiddenError(`only one instance of "${driver}" network is allowed`);
    case 'overlay':
      throw new ForbiddenError(SWARM_ONLY);
    case 'macvlan':
    case 'ipvlan':
      throw new NotImplementedError(
        `network driver "${driver}" is not supported by skiff: a rootless engine cannot attach containers to a host interface; use a bridge network`,
      );
    default:
      throw new NotFoundError(
        `could not find plugin ${driver} in v1 plugin registry: plugin not found`,
      );
  }
  if (req.scope !== '' && req.scope !== 'local')
    throw new InvalidArgumentError(
      `scope "${req.scope}" is not supported: skiff networks are local to this engine`,
    );
  if (req.ingress) throw new ForbiddenError(SWARM_ONLY);
  if (req.configOnly || req.configFrom !== undefined)
    throw new NotImplementedError(
      'config-only networks (ConfigOnly, ConfigFrom) are not supported by skiff yet',
    );
  if (req.ipamDriver !== '' && req.ipamDriver !== 'default')
    throw new NotFoundError(
      `could not find plugin ${req.ipamDriver} in v1 plugin registry: plugin not found`,
    );
}

function optionBool(options: Readonly<Record<string, string>>, key: string): boolean | undefined {
  const v = options[key];
  if (v === undefined) return undefined;
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  throw new InvalidArgumentError(`invalid value for ${key}: "${v}" is not a boolean`);
}

function checkBridgeName(name: string, ctx: NetworkBuildContext): void {
  // Linux interface names: 1..15 bytes (IFNAMSIZ - 1), no '/', no whitespace, not . or ..
  if (
    name.length === 0 ||
    Buffer.byteLength(name) > 15 ||
    /[\s/:]/.test(name) ||
    name === '.' ||
    name === '..'
  )
    throw new InvalidArgumentError(
      `invalid value for ${BRIDGE_NAME_OPTION}: "${name}" is not a valid interface name (1 to 15 characters, no "/", ":" or spaces)`,
    );
  const other = ctx.existing.find((n) => n.bridgeName === name);
  if (other)
    throw new ForbiddenError(
      `cannot create network ${ctx.id} (${name}): conflicts with network ${other.id} (${name}): networks have same bridge name`,
    );
}

function parseMtu(v: string | undefined): number | undefined {
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!/^\d+$/.test(v) || n < 68 || n > 65535)
    throw new InvalidArgumentError(
      `invalid value for ${MTU_OPTION}: "${v}": the MTU must be an integer from 68 to 65535`,
    );
  return n;
}

function warningsFor(options: Readonly<Record<string, string>>): string[] {
  return Object.entries(UNSUPPORTED_OPTIONS)
    .filter(([k, dflt]) => options[k] !== undefined && options[k] !== dflt)
    .map(
      ([k]) => `skiff cannot apply option ${k}=${options[k] ?? ''}; it is kept but has no effect`,
    );
}
