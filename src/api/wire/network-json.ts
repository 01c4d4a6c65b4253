/**
 * Networks on the wire: the NetworkCreateRequest body read into skiff's request type, and a
 * network shaped as dockerd's Network / NetworkInspect JSON (field order as dockerd writes it).
 */
import type { NetworkCreateRequest } from '../../daemon/networks/network-request.js';
import type { ConnectEndpoint, NetworkView } from '../../daemon/networks/network-service.js';
import type { IpamRequest } from '../../network/ipam-config.js';
import { InvalidArgumentError } from '../../errors.js';
import { compareVersions, type ApiVersion } from '../version.js';
import { asObject, bool, list, optBool, optString, str, strList, strMap } from './json-fields.js';

export function parseNetworkCreate(body: unknown, version: ApiVersion): NetworkCreateRequest {
  const o = asObject(body, 'body');
  const name = optString(o, 'Name');
  if (name === undefined)
    throw new InvalidArgumentError('invalid name: a network name is required');
  const ipam = asObject(o['IPAM'], 'IPAM');
  const configFrom = o['ConfigFrom'] == null ? undefined : asObject(o['ConfigFrom'], 'ConfigFrom');
  const configFromName = configFrom
    ? optString(configFrom, 'Network', 'ConfigFrom.Network')
    : undefined;
  // EnableIPv4 arrived with API 1.48; older clients never mean to turn IPv4 off.
  const enableIPv4 = compareVersions(version, '1.48') >= 0 ? optBool(o, 'EnableIPv4') : undefined;
  const enableIPv6 = optBool(o, 'EnableIPv6');
  return {
    name,
    driver: str(o, 'Driver'),
    scope: str(o, 'Scope'),
    internal: bool(o, 'Internal'),
    attachable: bool(o, 'Attachable'),
    ingress: bool(o, 'Ingress'),
    configOnly: bool(o, 'ConfigOnly'),
    ...(configFromName ? { configFrom: configFromName } : {}),
    ...(enableIPv4 !== undefined ? { enableIPv4 } : {}),
    ...(enableIPv6 !== undefined ? { enableIPv6 } : {}),
    ipamDriver: str(ipam, 'Driver', 'IPAM.Driver'),
    ipamOptions: strMap(ipam, 'Options', 'IPAM.Options'),
    ipamConfigs: list(ipam, 'Config', 'IPAM.Config').map((c, i) => ipamConfig(c, i)),
    options: strMap(o, 'Options'),
    labels: strMap(o, 'Labels'),
  };
}

function ipamConfig(v: unknown, i: number): IpamRequest {
  const f = `IPAM.Config[${i}]`;
  const c = asObject(v, f);
  const subnet = optString(c, 'Subnet', `${f}.Subnet`);
  const ipRange = optString(c, 'IPRange', `${f}.IPRange`);
  const gateway = optString(c, 'Gateway', `${f}.Gateway`);
  const aux = strMap(c, 'AuxiliaryAddresses', `${f}.AuxiliaryAddresses`);
  return {
    ...(subnet ? { subnet } : {}),
    ...(ipRange ? { ipRange } : {}),
    ...(gateway ? { gateway } : {}),
    ...(Object.keys(aux).length > 0 ? { auxAddresses: aux } : {}),
  };
}

/** A network as GET /networks/{id} (and, per item, GET /networks) answers it. */
export function networkJson(v: NetworkView): Record<string, unknown> {
  const r = v.record;
  const containers: Record<string, unknown> = {};
  for (const e of v.endpoints)
    containers[e.containerId] = {
      Name: e.name,
      EndpointID: e.endpointId,
      MacAddress: e.macAddress,
      IPv4Address: e.ipv4Address,
      IPv6Address: e.ipv6Address,
    };
  return {
    Name: r.name,
    Id: r.id,
    Created: r.created,
    Scope: 'local',
    Driver: r.driver,
    EnableIPv4: r.enableIPv4,
    EnableIPv6: r.enableIPv6,
    IPAM: {
      Driver: r.ipamDriver,
      Options: r.ipamOptions ?? null,
      Config: r.subnets.map((s) => ({
        Subnet: s.subnet,
        ...(s.ipRange ? { IPRange: s.ipRange } : {}),
        Gateway: s.gateway,
        ...(s.auxAddresses ? { AuxiliaryAddresses: s.auxAddresses } : {}),
      })),
    },
    Internal: r.internal,
    Attachable: r.attachable,
    Ingress: false,
    ConfigFrom: { Network: '' },
    ConfigOnly: false,
    Containers: containers,
    Options: r.options,
    Labels: r.labels,
  };
}

/** `POST /networks/{id}/connect`: `{Container, EndpointConfig}`; no EndpointConfig is none. */
export function parseNetworkConnect(body: unknown): {
  container: string;
  endpoint?: ConnectEndpoint;
} {
  const o = asObject(body, 'body');
  const container = str(o, 'Container');
  if (o['EndpointConfig'] === undefined || o['EndpointConfig'] === null) return { container };
  const e = asObject(o['EndpointConfig'], 'EndpointConfig');
  const ipam = asObject(e['IPAMConfig'] ?? {}, 'EndpointConfig.IPAMConfig');
  const v4 = optString(ipam, 'IPv4Address');
  const v6 = optString(ipam, 'IPv6Address');
  const mac = optString(e, 'MacAddress');
  return {
    container,
    endpoint: {
      aliases: strList(e, 'Aliases'),
      links: strList(e, 'Links'),
      ...(v4 ? { ipv4Address: v4 } : {}),
      ...(v6 ? { ipv6Address: v6 } : {}),
      ...(mac ? { macAddress: mac } : {}),
    },
  };
}
