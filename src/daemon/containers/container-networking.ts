/**
 * Containers on bridge networks (the default `bridge` and user-defined ones): each gets its own
 * network namespace, persistent (`<execRoot>/netns/<id>`, see persistent-netns.ts) so that it
 * outlives skiffd, wired by the NetworkBackend (netavark in the rootlesskit holder's network
 * namespace) into each network's bridge, with addresses chosen here (netavark's host-local IPAM
 * does not choose them). The networks a container joins are kept in its record's `endpoints`
 * (config, keyed by network name); what was set up is in `state.network` while it runs.
 */
import { stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ForbiddenError, InvalidArgumentError, messageOf } from '../../errors.js';
import { macForIpv4 } from '../../network/mac-address.js';
import type { Logger } from '../../log.js';
import { checkRequestedAddress, nextFreeAddress } from '../../network/ip-allocator.js';
import { ipText, lastAddress, parsePrefix } from '../../network/ip-address.js';
import type {
  AttachedInterface,
  AttachRequest,
  EndpointRequest as BackendEndpoint,
  NetworkBackend,
} from '../../network/network-backend.js';
import {
  createNetns,
  removeNetns,
  type NetnsOwner,
  type NetnsTools,
} from '../../network/persistent-netns.js';
import { KeyLock } from '../../store/key-lock.js';
import { newId } from '../../store/ids.js';
import { bridgeSpecOf, type NetworkRecord } from '../networks/network-record.js';
import type { AttachedEndpoint, ContainerRecord, NetworkState } from './container-record.js';
import type { EndpointRequest } from './create-request.js';
import { upstreamDns } from './dns-upstreams.js';

export interface ContainerNetworkingDeps {
  /** Finds a network by full id, name or id prefix (NetworkService.get); throws NotFound. */
  readonly network: (ref: string) => NetworkRecord;
  readonly backend: NetworkBackend;
  readonly netns: NetnsTools;
  /** `<execRoot>/netns` */
  readonly netnsRoot: string;
  readonly log: Logger;
  /** Docker's network connect/disconnect events when a container starts on or leaves a network. */
  readonly announce?: (action: 'connect' | 'disconnect', networkId: string, id: string) => void;
  /** daemon.json's `dns`: aardvark's upstreams for containers without `--dns`. */
  readonly defaultDns?: readonly string[];
}

const isDefaultName = (n: string): boolean => n === 'default' || n === 'bridge';

export class ContainerNetworking {
  /** Addresses handed out and not yet released: networkId → address → container id. */
  private readonly reserved = new Map<string, Map<string, string>>();
  private readonly ipam = new KeyLock();
  /**
   * netavark calls run one at a time: netavark 1.4 rewrites aardvark-dns's per-network files
   * without a lock of its own, so two containers set up at once (compose) could lose a name.
   */
  private readonly serial = new KeyLock();
  /** Teardowns still running after an exit was recorded (detachLater), per container. */
  private readonly pending = new Map<string, Promise<void>>();
  /** Per predefined bridge network: its anchor endpoint, once set up (see ensureAnchor). */
  private readonly anchors = new Map<string, Promise<void>>();

  constructor(private readonly d: ContainerNetworkingDeps) {}

  sandboxKey(id: string): string {
    return join(this.d.netnsRoot, id);
  }

  /**
   * At create: the bridge networks a container in network mode `mode` joins, keyed by network
   * name, the mode's network first, then the other EndpointsConfig entries (API ≥ 1.44). Throws
   * `network X not found`, and dockerd's 400s for aliases or addresses on the default bridge.
   */
  resolveEndpoints(
    mode: string,
    requested: Readonly<Record<string, EndpointRequest>>,
  ): Record<string, EndpointRequest> {
    const out: Record<string, EndpointRequest> = {};
    const primary = this.d.network(mode === 'default' ? 'bridge' : mode);
    const entries = Object.entries(requested);
    const primaryEntry = entries.find(
      ([k]) =>
        k === mode ||
        k === primary.name ||
        k === primary.id ||
        (primary.name === 'bridge' && isDefaultName(k)),
    );
    out[primary.name] = this.endpointFor(primary, primaryEntry?.[1]);
    for (const [k, e] of entries) {
      if (primaryEntry && k === primaryEntry[0]) continue;
      const net = this.d.network(k === 'default' ? 'bridge' : k);
      if (out[net.name]) continue;
      out[net.name] = this.endpointFor(net, e);
    }
    return out;
  }

  /** One endpoint's config, checked against its network (dockerd's messages). */
  endpointFor(net: NetworkRecord, e: EndpointRequest | undefined): EndpointRequest {
    if (net.driver !== 'bridge')
      throw new InvalidArgumentError(
        `container cannot be connected to network ${net.name} with driver ${net.driver}: use --network ${net.name} alone`,
      );
    const userDefined = !net.predefined;
    if (!userDefined && e && e.aliases.length > 0)
      throw new InvalidArgumentError(
        'network-scoped alias is supported only for containers in user defined networks',
      );
    if (!userDefined && e && (e.ipv4Address || e.ipv6Address))
      throw new InvalidArgumentError(
        'user specified IP address is supported on user defined networks only',
      );
    return {
      aliases: e?.aliases ?? [],
      links: e?.links ?? [],
      ...(e?.ipv4Address ? { ipv4Address: e.ipv4Address } : {}),
      ...(e?.ipv6Address ? { ipv6Address: e.ipv6Address } : {}),
      ...(e?.macAddress ? { macAddress: e.macAddress } : {}),
      networkId: net.id,
    };
  }

  /**
   * At start: a fresh network namespace, and every endpoint of the record wired into it in the
   * background. `state` is what the wiring will give (addresses are chosen here, not by
   * netavark), so the container's files and OCI spec can be made, and the runtime can create the
   * container in the namespace, while netavark still works (netavark with iptables is the
   * largest part of a bridge start). `wired` must be awaited before the container's process
   * runs; when it fails, the namespace is gone and the addresses are released.
   * `all` are the records whose running endpoints hold addresses (the store's).
   */
  async attach(
    rec: ContainerRecord,
    all: readonly ContainerRecord[],
    /** `--userns keep-id`: the namespace is owned by a user namespace with these mappings. */
    owner?: NetnsOwner,
  ): Promise<AttachingNetwork> {
    await this.pending.get(rec.id);
    for (const e of Object.values(rec.endpoints))
      if (e.networkId !== undefined) await this.ensureAnchor(e.networkId);
    const sandboxKey = this.sandboxKey(rec.id);
    const planned = await this.plan(rec, Object.entries(rec.endpoints), all, []);
    const undo = async (): Promise<void> => {
      await this.backendTeardown(
        rec,
        sandboxKey,
        planned.map((p) => p.endpoint),
      );
      await removeNetns(this.d.netns, sandboxKey).catch(() => undefined);
      this.release(rec.id);
    };
    try {
      await createNetns(this.d.netns, sandboxKey, owner);
    } catch (e) {
      await undo();
      throw e;
    }
    const wired = (async (): Promise<NetworkState> => {
      try {
        const endpoints = await this.setup(rec, sandboxKey, planned);
        for (const ep of endpoints) this.d.announce?.('connect', ep.networkId, rec.id);
        return { sandboxKey, endpoints };
      } catch (e) {
        await undo();
        throw e;
      }
    })();
    wired.catch(() => undefined); // the caller awaits it; this keeps an early failure handled
    return {
      state: { sandboxKey, endpoints: planned.map((p) => attachedEndpoint(p)) },
      wired,
    };
  }

  /** At exit or removal: every endpoint torn down, the namespace unmounted and deleted. */
  async detach(rec: ContainerRecord, state: NetworkState): Promise<void> {
    await this.backendTeardown(rec, state.sandboxKey, this.backendEndpoints(state.endpoints));
    await removeNetns(this.d.netns, state.sandboxKey).catch((e: unknown) => {
      this.d.log.warn({ id: rec.id, err: messageOf(e) }, 'removing the network namespace failed');
    });
    this.release(rec.id);
    for (const ep of state.endpoints) this.d.announce?.('disconnect', ep.networkId, rec.id);
  }

  /**
   * detach without making the caller wait (an exit, then `docker run --rm`'s removal, need not
   * wait for the firewall rules to go): the addresses stay reserved, and a new start of the
   * same container waits, until it is done.
   */
  detachLater(rec: ContainerRecord, state: NetworkState): void {
    const previous = this.pending.get(rec.id) ?? Promise.resolve();
    const p: Promise<void> = previous
      .then(() => this.detach(rec, state))
      .catch((e: unknown) => {
        this.d.log.warn({ id: rec.id, err: messageOf(e) }, 'network detach failed');
      })
      .finally(() => {
        if (this.pending.get(rec.id) === p) this.pending.delete(rec.id);
      });
    this.pending.set(rec.id, p);
  }

  /** Waits for the teardowns detachLater started (daemon shutdown). */
  async settle(): Promise<void> {
    await Promise.all([...this.pending.values()]);
  }

  /** `docker network connect` of a running container: one more interface in its namespace. */
  async connect(
    rec: ContainerRecord,
    state: NetworkState,
    name: string,
    all: readonly ContainerRecord[],
  ): Promise<AttachedEndpoint> {
    const used = state.endpoints.map((e) => e.interfaceName);
    const e = rec.endpoints[name];
    if (!e) throw new InvalidArgumentError(`container ${rec.name} has no endpoint on ${name}`);
    const planned = await this.plan(rec, [[name, e]], all, used);
    try {
      const [done] = await this.setup(rec, state.sandboxKey, planned);
      if (!done) throw new InvalidArgumentError(`netavark set up nothing on network ${name}`);
      return done;
    } catch (err) {
      await this.backendTeardown(
        rec,
        state.sandboxKey,
        planned.map((p) => p.endpoint),
      );
      this.release(rec.id, planned[0]?.networkId);
      throw err;
    }
  }

  /** `docker network disconnect` of a running container: that interface goes. */
  async disconnect(rec: ContainerRecord, state: NetworkState, ep: AttachedEndpoint): Promise<void> {
    await this.backendTeardown(rec, state.sandboxKey, this.backendEndpoints([ep]));
    this.release(rec.id, ep.networkId);
  }

  /** After a skiffd restart: the addresses of an adopted container stay taken. */
  adopt(rec: ContainerRecord): void {
    for (const ep of rec.state.network?.endpoints ?? [])
      for (const a of [ep.ipv4Address, ep.ipv6Address])
        if (a) this.reserve(ep.networkId, a, rec.id);
  }

  /**
   * The default bridge keeps one endpoint of its own, in a namespace of its own, on the last
   * address of its subnet: netavark deletes a bridge and all its firewall rules when its last
   * endpoint goes and makes them again for the next one (≈ 0.3 s on each `docker run --rm`
   * instead of ≈ 0.05 s), and Docker's docker0 stays up anyway. Best effort: without it
   * containers still work, only slower.
   */
  private ensureAnchor(networkId: string): Promise<void> {
    let net: NetworkRecord;
    try {
      net = this.d.network(networkId);
    } catch {
      return Promise.resolve();
    }
    const spec = bridgeSpecOf(net);
    const subnet = net.subnets.length === 1 ? net.subnets[0] : undefined;
    const prefix = subnet ? parsePrefix(subnet.subnet) : undefined;
    if (!net.predefined || !spec || !subnet || prefix?.family !== 4 || prefix.bits > 29)
      return Promise.resolve();
    const existing = this.anchors.get(net.id);
    if (existing) return existing;
    const address = ipText(4, lastAddress(prefix) - 1n);
    this.reserve(net.id, address, ANCHOR);
    const path = join(this.d.netnsRoot, `anchor-${net.id.slice(0, 12)}`);
    const p = (async () => {
      if (await isMounted(path)) return;
      await createNetns(this.d.netns, path);
      const req: AttachRequest = {
        containerId: `${ANCHOR}-${net.id.slice(0, 12)}`,
        containerName: `${ANCHOR}-${net.name}`,
        netnsPath: path,
        endpoints: [{ network: spec, interfaceName: 'eth0', addresses: [address], aliases: [] }],
      };
      await this.serial.with('netavark', () => this.d.backend.setup(req));
    })().catch((e: unknown) => {
      this.d.log.warn({ network: net.name, err: messageOf(e) }, 'no anchor endpoint');
    });
    this.anchors.set(net.id, p);
    return p;
  }

  private async plan(
    rec: ContainerRecord,
    entries: readonly (readonly [string, EndpointRequest])[],
    all: readonly ContainerRecord[],
    usedInterfaces: readonly string[],
  ): Promise<Planned[]> {
    return this.ipam.with('ipam', () => {
      const out: Planned[] = [];
      const ifaces = new Set(usedInterfaces);
      try {
        for (const [name, e] of entries) {
          const net = this.d.network(e.networkId ?? name);
          const spec = bridgeSpecOf(net);
          if (!spec)
            throw new ForbiddenError(`network ${net.name} is not a bridge network (${net.driver})`);
          const inUse = this.inUse(net.id, rec.id, all);
          const addresses: string[] = [];
          for (const s of net.subnets) {
            const family = parsePrefix(s.subnet)?.family;
            const wanted = family === 6 ? e.ipv6Address : e.ipv4Address;
            const addr = wanted
              ? checkRequestedAddress(s, wanted, inUse)
              : nextFreeAddress(s, inUse);
            if (!addr)
              throw new ForbiddenError(
                `no available IPv${String(family ?? 4)} addresses on network ${net.name}`,
              );
            this.reserve(net.id, addr, rec.id);
            addresses.push(addr);
          }
          let n = 0;
          while (ifaces.has(`eth${String(n)}`)) n++;
          const interfaceName = `eth${String(n)}`;
          ifaces.add(interfaceName);
          out.push({
            networkId: net.id,
            networkName: net.name,
            aliases: e.aliases,
            endpoint: {
              network: spec,
              interfaceName,
              addresses,
              // aardvark answers these besides the container's name: Docker's DNSNames.
              aliases: spec.dnsEnabled ? [...e.aliases, rec.id.slice(0, 12)] : [],
              ...macOf(e.macAddress, addresses),
            },
          });
        }
      } catch (err) {
        for (const p of out) this.release(rec.id, p.networkId);
        throw err;
      }
      return Promise.resolve(out);
    });
  }

  private async setup(
    rec: ContainerRecord,
    sandboxKey: string,
    planned: readonly Planned[],
  ): Promise<AttachedEndpoint[]> {
    if (planned.length === 0) return [];
    const req = this.request(
      rec,
      sandboxKey,
      planned.map((p) => p.endpoint),
    );
    const result = await this.serial.with('netavark', () => this.d.backend.setup(req));
    return planned.map((p) =>
      attachedEndpoint(p, result.networks[p.networkName]?.[p.endpoint.interfaceName]),
    );
  }

  /** Best effort: a teardown that fails leaves rules in the holder, never a stuck container. */
  private async backendTeardown(
    rec: ContainerRecord,
    sandboxKey: string,
    endpoints: readonly BackendEndpoint[],
  ): Promise<void> {
    if (endpoints.length === 0) return;
    const req = this.request(rec, sandboxKey, endpoints);
    await this.serial
      .with('netavark', () => this.d.backend.teardown(req))
      .catch((e: unknown) => {
        this.d.log.warn({ id: rec.id, err: messageOf(e) }, 'network teardown failed');
      });
  }

  /** What netavark needs to undo endpoints that were set up (networks still exist: in use). */
  private backendEndpoints(eps: readonly AttachedEndpoint[]): BackendEndpoint[] {
    const out: BackendEndpoint[] = [];
    for (const ep of eps) {
      let net: NetworkRecord;
      try {
        net = this.d.network(ep.networkId);
      } catch {
        continue;
      }
      const spec = bridgeSpecOf(net);
      if (!spec) continue;
      out.push({
        network: spec,
        interfaceName: ep.interfaceName,
        addresses: [ep.ipv4Address, ep.ipv6Address].filter((a) => a !== ''),
        aliases: [],
      });
    }
    return out;
  }

  private request(
    rec: ContainerRecord,
    sandboxKey: string,
    endpoints: readonly BackendEndpoint[],
  ): AttachRequest {
    const dnsServers = upstreamDns(rec, this.d.defaultDns);
    return {
      containerId: rec.id,
      containerName: rec.name,
      netnsPath: sandboxKey,
      endpoints,
      ...(dnsServers.length > 0 ? { dnsServers } : {}),
    };
  }

  private inUse(networkId: string, self: string, all: readonly ContainerRecord[]): string[] {
    const out = new Set<string>();
    for (const [a, owner] of this.reserved.get(networkId) ?? []) if (owner !== self) out.add(a);
    for (const c of all) {
      if (c.id === self) continue;
      for (const ep of c.state.network?.endpoints ?? [])
        if (ep.networkId === networkId)
          for (const a of [ep.ipv4Address, ep.ipv6Address]) if (a) out.add(a);
    }
    return [...out];
  }

  private reserve(networkId: string, address: string, id: string): void {
    let m = this.reserved.get(networkId);
    if (!m) this.reserved.set(networkId, (m = new Map<string, string>()));
    m.set(address, id);
  }

  private release(id: string, networkId?: string): void {
    for (const [net, m] of this.reserved) {
      if (networkId !== undefined && net !== networkId) continue;
      for (const [a, owner] of m) if (owner === id) m.delete(a);
      if (m.size === 0) this.reserved.delete(net);
    }
  }
}

const ANCHOR = 'skiff-anchor';

/** A bind-mounted namespace file sits on another device than its directory. */
async function isMounted(path: string): Promise<boolean> {
  try {
    const [file, dir] = await Promise.all([stat(path), stat(dirname(path))]);
    return file.dev !== dir.dev;
  } catch {
    return false;
  }
}

/** What a container gets on a network once wired into it. */
export interface AttachingNetwork {
  /** The state the wiring gives, known before it is done (addresses are chosen by skiff). */
  readonly state: NetworkState;
  /** The wiring itself; the state with what netavark reported (its MAC, when none was asked). */
  readonly wired: Promise<NetworkState>;
}

interface Planned {
  readonly networkId: string;
  readonly networkName: string;
  readonly aliases: readonly string[];
  readonly endpoint: BackendEndpoint;
}

/**
 * An endpoint as planned, corrected by what netavark reported for its interface, if anything
 * (before the wiring is done, or when netavark is silent: what was asked for).
 */
function attachedEndpoint(p: Planned, iface?: AttachedInterface): AttachedEndpoint {
  const got = iface?.addresses ?? [];
  const v4 = pick(p, got, 4);
  const v6 = pick(p, got, 6);
  return {
    networkId: p.networkId,
    networkName: p.networkName,
    endpointId: newId(),
    interfaceName: p.endpoint.interfaceName,
    macAddress: iface?.macAddress ?? p.endpoint.macAddress ?? '',
    ipv4Address: v4.address,
    ipv4PrefixLen: v4.prefixLen,
    gateway: v4.gateway,
    ipv6Address: v6.address,
    ipv6PrefixLen: v6.prefixLen,
    ipv6Gateway: v6.gateway,
    aliases: p.aliases,
  };
}

function pick(
  p: Planned,
  got: readonly { cidr: string; gateway?: string }[],
  family: 4 | 6,
): { address: string; prefixLen: number; gateway: string } {
  for (const a of got) {
    const pre = parsePrefix(a.cidr);
    if (pre?.family !== family) continue;
    const [address = ''] = a.cidr.split('/');
    return { address, prefixLen: pre.bits, gateway: a.gateway ?? '' };
  }
  // netavark did not report it: what was asked for, with the network's subnet.
  for (const s of p.endpoint.network.subnets) {
    const pre = parsePrefix(s.subnet);
    if (pre?.family !== family) continue;
    const address = p.endpoint.addresses.find((a) => (family === 6) === a.includes(':')) ?? '';
    return { address, prefixLen: pre.bits, gateway: s.gateway };
  }
  return { address: '', prefixLen: 0, gateway: '' };
}

/** The MAC asked for, else Docker's 02:42:<IPv4 bytes> (see network/mac-address.ts). */
function macOf(asked: string | undefined, addresses: readonly string[]): { macAddress?: string } {
  const mac = asked || addresses.map(macForIpv4).find((m) => m !== undefined);
  return mac ? { macAddress: mac } : {};
}
