/**
 * A network as skiff keeps it: `<dataRoot>/networks/<id>.json`, one file per network, written
 * atomically. What the API shows and what a container attach hands to the backend both derive
 * from this record.
 */
import type { SubnetConfig } from '../../network/ipam-config.js';
import type { BridgeNetworkSpec } from '../../network/network-backend.js';

export type NetworkDriver = 'bridge' | 'host' | 'null';

export interface NetworkRecord {
  /** 64 hex characters, as dockerd's. */
  readonly id: string;
  readonly name: string;
  readonly driver: NetworkDriver;
  /** RFC 3339 with sub-second digits. */
  readonly created: string;
  /** `bridge`, `host`, `none`: made at first start, never removed. */
  readonly predefined: boolean;
  readonly internal: boolean;
  readonly attachable: boolean;
  readonly enableIPv4: boolean;
  readonly enableIPv6: boolean;
  readonly ipamDriver: string;
  /** Undefined shows as `null`, as dockerd shows it for its predefined networks. */
  readonly ipamOptions?: Readonly<Record<string, string>>;
  readonly subnets: readonly SubnetConfig[];
  /** The driver options as given (Docker's `com.docker.network.*` keys), shown by inspect. */
  readonly options: Readonly<Record<string, string>>;
  readonly labels: Readonly<Record<string, string>>;
  /** Bridge networks only: the host-side interface and its MTU. */
  readonly bridgeName?: string;
  readonly mtu?: number;
  /** Container names resolve on the network (Docker: every user-defined network, not `bridge`). */
  readonly dnsEnabled: boolean;
}

export const PREDEFINED_NAMES: readonly string[] = ['bridge', 'host', 'none'];

/**
 * Names no network may take: the predefined ones and `default`, which `--network default`
 * means the default bridge (moby runconfig.IsPreDefinedNetwork).
 */
export function isPredefinedName(name: string): boolean {
  return PREDEFINED_NAMES.includes(name) || name === 'default';
}

/** What a backend needs to wire a container into a bridge network; undefined for host/none. */
export function bridgeSpecOf(r: NetworkRecord): BridgeNetworkSpec | undefined {
  if (r.driver !== 'bridge' || !r.bridgeName) return undefined;
  return {
    id: r.id,
    name: r.name,
    bridgeName: r.bridgeName,
    subnets: r.subnets,
    internal: r.internal,
    dnsEnabled: r.dnsEnabled,
    isolate: true,
    created: r.created,
    ...(r.mtu !== undefined ? { mtu: r.mtu } : {}),
  };
}

const isStringMap = (v: unknown): v is Record<string, string> =>
  typeof v === 'object' &&
  v !== null &&
  !Array.isArray(v) &&
  Object.values(v).every((x) => typeof x === 'string');

function isSubnet(v: unknown): v is SubnetConfig {
  if (typeof v !== 'object' || v === null) return false;
  const s = v as Record<string, unknown>;
  return (
    typeof s['subnet'] === 'string' &&
    typeof s['gateway'] === 'string' &&
    (s['ipRange'] === undefined || typeof s['ipRange'] === 'string') &&
    (s['auxAddresses'] === undefined || isStringMap(s['auxAddresses']))
  );
}

/** A record read from disk, checked field by field (STYLE R7); undefined when it is not one. */
export function parseNetworkRecord(v: unknown): NetworkRecord | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const r = v as Record<string, unknown>;
  const bools = ['predefined', 'internal', 'attachable', 'enableIPv4', 'enableIPv6', 'dnsEnabled'];
  if (
    typeof r['id'] !== 'string' ||
    !/^[0-9a-f]{64}$/.test(r['id']) ||
    typeof r['name'] !== 'string' ||
    (r['driver'] !== 'bridge' && r['driver'] !== 'host' && r['driver'] !== 'null') ||
    typeof r['created'] !== 'string' ||
    typeof r['ipamDriver'] !== 'string' ||
    !bools.every((k) => typeof r[k] === 'boolean') ||
    !Array.isArray(r['subnets']) ||
    !r['subnets'].every(isSubnet) ||
    !isStringMap(r['options']) ||
    !isStringMap(r['labels']) ||
    (r['ipamOptions'] !== undefined && !isStringMap(r['ipamOptions'])) ||
    (r['bridgeName'] !== undefined && typeof r['bridgeName'] !== 'string') ||
    (r['mtu'] !== undefined && typeof r['mtu'] !== 'number')
  )
    return undefined;
  return r as unknown as NetworkRecord;
}
